// Attacks through a space's Callback (issue 9, item 1), against the stack:
// tenant B aims its Callback at the stack itself (the API's port and its
// /internal/ paths, the database, RTMP, SIP, media ports), at cloud
// metadata, loopback in its many spellings. Every one is refused when it is
// set, and one written straight into the database is refused when notifyd
// connects; tenant A's live stream never notices.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const L = require('../integration/lib');
const F = require('../integration/fixtures');
const S = require('../integration/stack');
const { receiver } = require('../tools/callback_receiver');

const conf = fs.readFileSync(path.join(L.VAR, 'vigil.conf'), 'utf8');
const num = (k) => Number(conf.match(new RegExp(`\\b${k} = (\\d+);`))[1]);
const HTTP = num('http_port');
const DB = Number(process.env.VIGIL_DB_PORT || 3307);
const RTMP = num('rtmp_port');
const SIP = num('gb_udp_port');
const RTP = num('rtp_port_min');
test.after(L.killPushes);

// Tenant A, publishing: the victim.
async function victim() {
  const t = await F.tenant();
  const c = L.client(t.key);
  const ok = (a, p) => c.request(a, p, { method: 'POST' });
  const g = await ok('CreateGroup', { Name: 'a', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: 'rtmp,flv' });
  const s = await ok('CreateRtmpGroupStreamurl', { Id: g.Id, Name: 'a',
    AccessInfo: JSON.stringify({ AccessKeyId: 'ak', AccessKeySecret: 'sk' }) });
  L.push(s.PushUrl.replace('rtmp://127.0.0.1/', `rtmp://127.0.0.1:${RTMP}/`));
  const on = await L.waitFor(async () => {
    const d = await ok('DescribeStream', { Id: s.Id });
    return d.Status === 'on' ? d : null;
  }, 10000, 100);
  assert.ok(on, 'the victim publishes');
  return { id: s.Id, start: on.StartTime, describe: () => ok('DescribeStream', { Id: s.Id }) };
}

async function unharmed(a) {
  const d = await a.describe();
  assert.equal(d.Status, 'on', 'the victim\'s stream stays on');
  assert.equal(d.StartTime, a.start, 'its StartTime unchanged');
  assert.equal(L.sql(`SELECT COUNT(*) FROM outbox WHERE resource_id = ${a.id}
    AND body LIKE '%stream.off%'`).trim(), '0', 'no false stream.off');
}

const attacks = (a) => [
  `http://127.0.0.1:${HTTP}/internal/rtmp/publish_done?app=live&name=${a}`,
  `http://127.0.0.1:${HTTP}/internal/rtmp/reset`,
  `http://localhost:${HTTP}/?Action=DeleteMtsService`,
  `http://[::1]:${HTTP}/`,
  `http://[::ffff:127.0.0.1]:${HTTP}/`,
  `http://2130706433:${HTTP}/`,
  `http://0x7f.1:${HTTP}/`,
  `http://0177.0.0.1:${HTTP}/`,
  `http://127.0.0.1:${DB}/`,
  `https://127.0.0.1:${RTMP}/`,
  `http://127.0.0.1:${SIP}/`,
  `http://127.0.0.1:${RTP + 7}/`,
  'http://169.254.169.254/latest/meta-data/',
  'http://[fe80::1]/',
  'http://0.0.0.0:9/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://10.0.0.1/cb',
  'http://192.168.1.1/cb',
  'http://[fd00::1]/cb',
  'http://8.8.8.8@127.0.0.1:' + HTTP + '/',
  'gopher://127.0.0.1:' + HTTP + '/',
  'file:///etc/passwd',
];

test('a Callback aimed at the stack or an internal address is refused when set', async () => {
  const a = await victim();
  const b = await F.tenant();
  const ok = (act, p) => L.client(b.key).request(act, p, { method: 'POST' });
  const g = await ok('CreateGroup', { Name: 'b', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: 'flv', Callback: 'http://203.0.113.7/cb' });
  for (const url of attacks(a.id)) {
    for (const [action, params] of [['CreateGroup', { Name: 'b2', Region: 'cn-shanghai',
      InProtocol: 'rtmp', OutProtocol: 'flv', Callback: url }],
    ['ModifyGroup', { Id: g.Id, Callback: url }],
    ['CreateTemplate', { Name: 't', Type: 'snapshot', Region: 'cn-shanghai',
      oNestBucket: 'b', oNestEndpoint: 's3.example.com', Interval: '10',
      FileFormat: 'jpg', Callback: url }]]) {
      const r = await L.call(action, params, { key: b.key, method: 'POST' });
      assert.equal(r.status, 400, `${action} ${url}: ${r.body}`);
      assert.equal(r.json.Code, 'InvalidParameter', url);
      assert.match(r.json.Message, /Callback/, url);
    }
  }
  const groups = L.sql(`SELECT callback FROM spaces WHERE tenant_id =
    (SELECT id FROM tenants WHERE user_id = '${b.user}')`).trim().split('\n');
  assert.deepEqual(groups, ['http://203.0.113.7/cb'], 'nothing stored');
  assert.equal(L.sql(`SELECT COUNT(*) FROM templates WHERE tenant_id =
    (SELECT id FROM tenants WHERE user_id = '${b.user}')`).trim(), '0');
  await unharmed(a);
});

// One stored by other means (before the guard, a restored backup): the
// connection itself is refused, the event ends dead, nothing reaches us.
test('a Callback put into the database is refused when notifyd connects', async () => {
  const a = await victim();
  const b = await F.tenant();
  const g = F.space(b, { InProtocol: 'rtmp' });
  const s = F.stream(b, g, { Protocol: 'rtmp' });
  const access = path.join(L.VAR, 'log/nginx-access.log');
  const before = fs.readFileSync(access, 'utf8').length;
  for (const url of [`http://127.0.0.1:${HTTP}/internal/rtmp/publish_done?app=live&name=${a.id}`,
    `http://localhost:${HTTP}/`, `http://127.0.0.1:${RTMP}/`]) {
    L.sql(`UPDATE spaces SET callback = ${F.q(url)} WHERE id = ${g}`);
    L.sql(`INSERT INTO outbox (tenant_id, group_id, resource_id, url, body)
      VALUES (${b.tenantId}, ${g}, ${s}, ${F.q(url)}, '{"Event":"stream.on"}')`);
    assert.ok(await L.waitFor(() => L.sql(`SELECT state FROM outbox WHERE group_id = ${g}
      ORDER BY id DESC LIMIT 1`).trim() === 'dead', 10000), url);
    assert.match(L.sql(`SELECT last_error FROM outbox WHERE group_id = ${g}
      ORDER BY id DESC LIMIT 1`), /refused: the Callback leads to a port of this stack/);
  }
  const log = fs.readFileSync(access, 'utf8').slice(before);
  assert.ok(!/vigil-notifyd|\/internal\//.test(log), `nginx saw the callback: ${log}`);
  await unharmed(a);
});

// The default (callback.allow_loopback off, as shipped): a notifyd with it
// refuses a receiver on loopback too. test.sh's stack allows loopback for
// its receivers, so this runs a notifyd of its own in the stack's stead.
test('as shipped, loopback receivers are refused too', async () => {
  const r = await receiver();
  const b = await F.tenant();
  const g = F.space(b, { InProtocol: 'rtmp' });
  const s = F.stream(b, g, { Protocol: 'rtmp' });
  const d = fs.mkdtempSync(path.join(L.VAR, 'tmp-notifyd-'));
  const own = path.join(d, 'vigil.conf');
  fs.writeFileSync(own, conf.replace(/allow_loopback = true;/, 'allow_loopback = false;')
    .replace(/notifyd_pid_file = .*/, `notifyd_pid_file = "${d}/notifyd.pid";`));
  S.runLib('stop_pidfile vigil-notifyd "$NOTIFYD_PID" vigil-notifyd');
  const n = spawn(path.join(L.ROOT, 'notifyd/vigil-notifyd'), ['-c', own],
    { stdio: ['ignore', 'ignore', fs.openSync(path.join(d, 'notifyd.log'), 'a')] });
  try {
    L.sql(`UPDATE spaces SET callback = ${F.q(r.url)} WHERE id = ${g}`);
    L.sql(`INSERT INTO outbox (tenant_id, group_id, resource_id, url, body)
      VALUES (${b.tenantId}, ${g}, ${s}, ${F.q(r.url)}, '{"Event":"stream.on"}')`);
    assert.ok(await L.waitFor(() => L.sql(`SELECT state FROM outbox WHERE group_id = ${g}`)
      .trim() === 'dead', 10000), fs.readFileSync(path.join(d, 'notifyd.log'), 'utf8'));
    assert.match(L.sql(`SELECT last_error FROM outbox WHERE group_id = ${g}`),
      /refused: the Callback leads to a loopback address/);
    assert.equal(r.events.length, 0);
  } finally {
    n.kill('SIGTERM');
    await new Promise((res) => n.once('exit', res));
    S.runLib('daemon_start vigil-notifyd "$NOTIFYD_BIN" "$NOTIFYD_PID"');
    await r.close();
    fs.rmSync(d, { recursive: true, force: true });
  }
});
