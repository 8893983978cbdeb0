// Attacks on the web tier (issue 9, items 2-4 and 7), run against the stack:
// secrets in the access log, the edge's hooks called by a local user,
// mediad's socket reached directly, partial requests, HLS files, a leaked
// play AuthKey, a spoofed X-Real-IP and the push token of a suspended
// tenant. Every one must be refused, and the victim's stream stay on.
// CI runs as root: "another local user" is nobody (runuser).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const L = require('../integration/lib');
const F = require('../integration/fixtures');

const RTMP_PORT = Number(process.env.VIGIL_RTMP_PORT || 1935);
const AI = JSON.stringify({ AccessKeyId: 'ak-sec', AccessKeySecret: 'sk-sec-CLEAR' });
const RUN = path.join(L.VAR, 'run');
const HOOKS = path.join(RUN, 'private/hooks.sock');
const MEDIAD = path.join(RUN, 'mediad.sock');
const SECRET = fs.readFileSync(path.join(L.VAR, 'internal.secret'), 'utf8').trim();
const ROOT_USER = process.getuid() === 0;
const { push, killPushes: killAll } = L;

// Video packets ffprobe reads in 2 s of url, or -1 when it fails.
function probe(url) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-rw_timeout', '5000000',
    '-select_streams', 'v', '-count_packets', '-read_intervals', '%+2',
    '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', url],
  { encoding: 'utf8', timeout: 15000 });
  const n = parseInt((r.stdout || '').trim(), 10);
  return r.status === 0 && n > 0 ? n : -1;
}

// HTTP status of url (the first bytes only: FLV never ends).
function status(url, headers = {}) {
  const args = ['-s', '-o', '/dev/null', '-m', '3', '-w', '%{http_code}'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  return spawnSync('curl', args.concat([url]), { encoding: 'utf8' }).stdout;
}

// curl as root or as nobody; { code: exit status, http: status }.
function curl(args, asNobody = false) {
  const all = ['-s', '-o', '/dev/null', '-m', '5', '-w', '%{http_code}'].concat(args);
  const r = asNobody ? spawnSync('runuser', ['-u', 'nobody', '--', 'curl'].concat(all),
    { encoding: 'utf8' }) : spawnSync('curl', all, { encoding: 'utf8' });
  return { code: r.status, http: r.stdout };
}

// A tenant with a live RTMP stream: the victim.
async function live() {
  const t = await F.tenant();
  const c = L.client(t.key);
  const ok = (a, p) => c.request(a, p, { method: 'POST' });
  const g = await ok('CreateGroup', { Name: 'sec', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: 'rtmp,flv,hls' });
  const s = await ok('CreateRtmpGroupStreamurl', { Id: g.Id, Name: 'victim',
    AccessInfo: AI });
  const u = new URL(s.PushUrl);
  const w = { t, c, ok, id: s.Id,
    push: `rtmp://127.0.0.1:${RTMP_PORT}${u.pathname}${u.search}`,
    token: u.searchParams.get('token'),
    describe: () => ok('DescribeStream', { Id: s.Id }),
    url: async (proto, key = 'sec-play-key') => (await ok('DescribeStreamURL',
      { Id: s.Id, OutProtocol: proto, AuthKey: key })).Url };
  push(w.push);
  const on = await L.waitFor(async () => {
    const d = await w.describe();
    return d.Status === 'on' ? d : null;
  }, 10000, 100);
  assert.ok(on, 'the victim publishes');
  w.startTime = on.StartTime;
  return w;
}

async function stillOn(w) {
  await L.sleep(1000);
  const d = await w.describe();
  assert.equal(d.Status, 'on', 'the victim\'s stream stays on');
  assert.equal(d.StartTime, w.startTime, 'and its StartTime unchanged');
}

test.after(killAll);

test('item 2: the access log holds no secret of GET calls and is 0640', async () => {
  const log = path.join(L.VAR, 'log/nginx-access.log');
  const before = fs.statSync(log).size;
  const user = L.uniqueUser('sec');
  const secrets = ['sk-sec-CLEAR', 'dev-PASS-word', 'play-KEY-leak'];
  let r = await L.call('CreateMtsService', { UserId: user, AccessInfo: AI });
  assert.equal(r.status, 200, r.body);
  const key = { id: r.json.UserAccessKeyId, secret: r.json.UserAccessKeySecret };
  secrets.push(key.secret);
  const tid = F.tenantId(user);
  const g = F.space({ tenantId: tid });
  r = await L.call('CreateDevice', { GroupId: g, Type: 'ipc',
    GbId: '34020000001320' + String(Date.now()).slice(-6), Username: 'admin',
    Password: 'dev-PASS-word' }, { key });
  assert.equal(r.status, 200, r.body);
  const rs = F.space({ tenantId: tid }, { InProtocol: 'rtmp' });
  r = await L.call('CreateRtmpGroupStreamurl', { Id: rs, Name: 's', AccessInfo: AI },
    { key });
  assert.equal(r.status, 200, r.body);
  const sid = r.json.Id;
  r = await L.call('DescribeStreamURL', { Id: sid, OutProtocol: 'flv',
    AuthKey: 'play-KEY-leak' }, { key });
  assert.equal(r.status, 200, r.body);
  const play = r.json.Url;
  const authKey = new URL(play).searchParams.get('auth_key');
  secrets.push(authKey);
  status(play);
  const rid = r.json.RequestId;
  await L.sleep(300);
  const text = fs.readFileSync(log, 'utf8').slice(before);
  for (const s of secrets) assert.ok(!text.includes(s), `the log holds ${s}`);
  for (const s of ['Signature', 'auth_key', 'AccessInfo', 'Password', 'AuthKey', '?'])
    assert.ok(!text.includes(s), `the log holds ${s}`);
  assert.match(text, new RegExp(`action=DescribeStreamURL rid=${rid}`),
    'the Action and RequestId are logged');
  // the stack's logs (test.sh's own reports land beside them)
  const dir = fs.statSync(path.join(L.VAR, 'log')).mode & 0o777;
  assert.equal(dir & 0o007, 0, `var/log is mode ${dir.toString(8)}`);
  for (const f of ['nginx-access', 'nginx-error', 'edge-error', 'vigil-api',
    'vigil-mediad', 'vigil-notifyd', 'vigil-sipd']) {
    const mode = fs.statSync(path.join(L.VAR, 'log', `${f}.log`)).mode & 0o777;
    assert.equal(mode, 0o640, `${f}.log is mode ${mode.toString(8)}`);
  }
});

test('item 2: vigilctl sends Actions with secrets by POST', () => {
  const r = L.vigilctl(['CreateMtsService', `UserId=${L.uniqueUser('ctl')}`,
    `AccessInfo=${AI}`]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const rid = JSON.parse(r.stdout).RequestId;
  const text = fs.readFileSync(path.join(L.VAR, 'log/nginx-access.log'), 'utf8');
  assert.match(text, new RegExp(`"POST / HTTP/1.1" 200 .* rid=${rid}`));
});

test('item 3: the edge\'s hooks refuse anyone but the edge', async () => {
  const w = await live();
  try {
    const form = ['-X', 'POST', '-d', `call=publish_done&app=live&name=${w.id}`];
    const reset = ['-X', 'POST', '-d', 'call=reset'];
    // the public port does not serve them
    for (const [args, hook] of [[form, 'publish_done'], [reset, 'reset']]) {
      const r = curl(args.concat([`${L.ENDPOINT}/internal/rtmp/${hook}`]));
      assert.equal(r.http, '404', `public ${hook}`);
    }
    // another local user cannot reach the hooks' socket at all
    if (ROOT_USER) {
      const r = curl(['--unix-socket', HOOKS].concat(reset,
        [`http://hooks/internal/rtmp/reset?k=${SECRET}`]), true);
      assert.notEqual(r.code, 0, 'nobody reaches the hooks socket');
      assert.equal(r.http, '000');
    }
    // and who reaches it needs the secret
    for (const k of ['', '?k=', '?k=wrong', `?k=${SECRET.slice(0, -1)}`]) {
      for (const [args, hook] of [[form, 'publish_done'], [reset, 'reset']]) {
        const r = curl(['--unix-socket', HOOKS].concat(args,
          [`http://hooks/internal/rtmp/${hook}${k}`]));
        assert.equal(r.http, '403', `${hook} with "${k}"`);
      }
    }
    await stillOn(w);
    // vigil-api never logs the secret
    const api = fs.readFileSync(path.join(L.VAR, 'log/vigil-api.log'), 'utf8');
    assert.ok(!api.includes(SECRET), 'vigil-api.log holds the secret');
    const mode = fs.statSync(path.dirname(HOOKS)).mode & 0o777;
    assert.equal(mode, 0o700, `the hooks' directory is ${mode.toString(8)}`);
  } finally {
    killAll();
  }
});

test('the edge\'s control API (drop a publisher) is the stack\'s only', async () => {
  const w = await live();
  try {
    const sock = path.join(path.dirname(HOOKS), 'edge.sock');
    const drop = `http://edge/control/drop/publisher?app=live&name=${w.id}`;
    assert.match(fs.readFileSync(path.join(L.VAR, 'vigil.conf'), 'utf8'),
      /edge_control = "unix:run\/private\/edge.sock";/);
    if (ROOT_USER) {
      const r = curl(['--unix-socket', sock, drop], true);
      assert.notEqual(r.code, 0, 'nobody reaches the edge\'s control socket');
    }
    // no TCP listener of the edge but RTMP: nothing else to point at
    const ports = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout
      .split('\n').filter((l) => l.includes('nginx') &&
        l.includes(fs.readFileSync(path.join(L.VAR, 'run/edge.pid'), 'utf8').trim()));
    assert.deepEqual(ports.map((l) => l.split(/\s+/)[3]),
      [`127.0.0.1:${process.env.VIGIL_RTMP_PORT || 1935}`]);
    await stillOn(w);
  } finally {
    killAll();
  }
});

// Sends raw bytes to mediad's socket; resolves { data, ms } when it closes.
function raw(bytes, ms = 15000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect(MEDIAD);
    let data = '';
    s.on('error', reject);
    s.on('data', (d) => { data += d.toString('latin1'); if (data.length > 200) s.destroy(); });
    s.on('close', () => resolve({ data, ms: Date.now() - t0 }));
    s.setTimeout(ms, () => s.destroy());
    s.write(bytes);
  });
}

test('item 4: mediad serves nginx only', async () => {
  const w = await live();
  try {
    const mode = fs.statSync(MEDIAD).mode & 0o777;
    assert.equal(mode, 0o660, `mediad.sock is ${mode.toString(8)}`);
    if (ROOT_USER) {
      const r = curl(['--unix-socket', MEDIAD, `http://x/live/${w.id}.flv`], true);
      assert.notEqual(r.code, 0, 'nobody connects to mediad.sock');
    }
    const req = `GET /live/${w.id}.flv HTTP/1.1\r\nHost: x\r\n`;
    let r = await raw(`${req}\r\n`);
    assert.match(r.data, /^HTTP\/1.1 403/, 'without the secret');
    r = await raw(`${req}X-Vigil-Secret: wrong\r\n\r\n`);
    assert.match(r.data, /^HTTP\/1.1 403/, 'with a wrong secret');
    r = await raw(`${req}X-Vigil-Secret: ${SECRET}\r\n\r\n`);
    assert.match(r.data, /^HTTP\/1.1 200/, 'nginx\'s request plays');
    // through nginx, the viewer's address is the connection's, not its claim
    const flv = await w.url('flv');
    const before = L.sql(`SELECT COALESCE(MAX(id), 0) FROM viewer_sessions`).trim();
    assert.equal(status(flv, { 'X-Real-IP': '203.0.113.9' }), '200');
    const addrs = await L.waitFor(() => L.sql(`SELECT addr FROM viewer_sessions
      WHERE stream_id = ${w.id} AND id > ${before}`).trim(), 5000, 100);
    assert.equal(addrs, '127.0.0.1', 'the viewer record');
  } finally {
    killAll();
  }
});

test('item 4: a request without its end is closed after 10 s', async () => {
  const r = await raw('GET /live/1.flv HTTP/1.1\r\nHost: x\r\n', 20000);
  assert.ok(r.ms >= 9500 && r.ms < 13000, `closed after ${r.ms} ms`);
  assert.match(r.data, /^HTTP\/1.1 408/);
});

test('item 4: HLS files are not for other users', async () => {
  const w = await live();
  try {
    const hls = path.join(L.VAR, 'hls/live');
    assert.ok(await L.waitFor(() => fs.readdirSync(hls).some((f) => f.startsWith(w.id)),
      10000, 200), 'the edge writes HLS');
    for (const d of [path.join(L.VAR, 'hls'), hls]) {
      const mode = fs.statSync(d).mode;
      assert.equal(mode & 0o007, 0, `${d} is ${(mode & 0o777).toString(8)}`);
    }
    if (ROOT_USER) {
      const f = fs.readdirSync(hls).find((n) => n.startsWith(w.id));
      const r = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', path.join(hls, f)]);
      assert.notEqual(r.status, 0, 'nobody reads a segment');
    }
  } finally {
    killAll();
  }
});

test('item 2: DeleteStreamAuthKey retires a leaked play AuthKey', async () => {
  const w = await live();
  try {
    const flv = await w.url('flv', 'leaked-key');
    const hls = await w.url('hls', 'leaked-key');
    const rtmp = await w.url('rtmp', 'leaked-key');
    assert.equal(status(flv), '200', 'flv plays');
    assert.ok(await L.waitFor(() => status(hls) === '200', 10000, 200), 'hls plays');
    assert.ok(probe(rtmp) > 0, 'rtmp plays');
    await w.ok('DeleteStreamAuthKey', { AuthKey: 'leaked-key' });
    assert.equal(status(flv), '403', 'flv after');
    assert.equal(status(hls), '403', 'hls after');
    assert.equal(probe(rtmp), -1, 'rtmp after');
    // a key it does not have
    const r = await L.call('DeleteStreamAuthKey', { AuthKey: 'leaked-key' },
      { key: w.t.key });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json.Code, 'InvalidParameter');
    assert.match(r.json.Message, /AuthKey/);
    // 8 keys fill the slots; with one deleted, a 9th fits
    for (let i = 1; i <= 8; i++) await w.url('flv', `k${i}`);
    const full = await L.call('DescribeStreamURL', { Id: w.id, OutProtocol: 'flv',
      AuthKey: 'k9' }, { key: w.t.key, method: 'POST' });
    assert.equal(full.status, 403, full.body);
    await w.ok('DeleteStreamAuthKey', { AuthKey: 'k3' });
    const ninth = await w.url('flv', 'k9');
    assert.equal(status(ninth), '200', 'the 9th key plays');
    // the operator acting as the tenant
    const op = await L.call('DeleteStreamAuthKey', { AuthKey: 'k4',
      ResourceOwnerAccount: w.t.user }, { method: 'POST' });
    assert.equal(op.status, 200, op.body);
  } finally {
    killAll();
  }
});

test('item 7: the push token does not open play of a suspended tenant\'s stream',
  async () => {
    const w = await live();
    try {
      const hook = (token) => curl(['--unix-socket', HOOKS, '-X', 'POST', '-d',
        `call=play&app=live&name=${w.id}&token=${token}`,
        `http://hooks/internal/rtmp/play?k=${SECRET}`]).http;
      assert.equal(hook(w.token), '200', 'the token plays while open');
      await L.client(L.operator).request('SuspendMtsService', { UserId: w.t.user },
        { method: 'POST' });
      assert.equal(hook(w.token), '403', 'not once suspended');
    } finally {
      killAll();
      await L.client(L.operator).request('RenewMtsService', { UserId: w.t.user },
        { method: 'POST' }).catch(() => {});
    }
  });
