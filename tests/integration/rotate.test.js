// Key rotation as the operator runs it (./run.sh rotate-master-key and
// rotate-operator-key): every secret still opens, nothing else changes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');
const S = require('./stack');

const AI = (n) => JSON.stringify({ AccessKeyId: 'ak-' + n, AccessKeySecret: 'sk-' + n });
const file = (name) => path.join(L.VAR, name);

// Every sealed value of the rows the test made, as hex.
function sealed(t) {
  return L.sql(`
    SELECT HEX(secret_enc) FROM api_keys WHERE access_key_id = '${t.key.id}'
    UNION ALL SELECT HEX(access_info) FROM tenants WHERE id = ${t.tid}
    UNION ALL SELECT HEX(password_enc) FROM devices WHERE id = ${t.device}
    UNION ALL SELECT HEX(push_token_enc) FROM streams WHERE id = ${t.stream}
    UNION ALL SELECT HEX(access_info_enc) FROM streams WHERE id = ${t.stream}
    UNION ALL SELECT HEX(auth_key_enc) FROM play_auth_keys WHERE tenant_id = ${t.tid}`)
    .trim().split('\n');
}

async function playStatus(url) {
  const u = new URL(url);
  const r = await L.request('GET', u.search.slice(1), undefined, {}, L.ENDPOINT,
    u.pathname);
  return r.status;
}

test('rotating the master key re-seals every secret; all still open', async () => {
  const t = await L.newTenant();
  let c = L.client(t.key);
  t.tid = L.sql(`SELECT id FROM tenants WHERE user_id = '${t.user}'`).trim();
  const gb = await c.request('CreateGroup', { Name: 'g', Region: 'cn-shanghai',
    InProtocol: 'gb28181', OutProtocol: 'flv' });
  t.device = (await c.request('CreateDevice', { GroupId: gb.Id, Type: 'ipc',
    GbId: '34020000001320000077', Username: 'admin', Password: 'cam-pass', Name: 'd' },
    { method: 'POST' })).Id;
  const rtmp = await c.request('CreateGroup', { Name: 'r', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: 'flv' });
  const s = await c.request('CreateRtmpGroupStreamurl', { Id: rtmp.Id, Name: 'x',
    AccessInfo: AI(t.user) }, { method: 'POST' });
  t.stream = s.Id;
  const url = (await c.request('DescribeStreamURL', { Id: s.Id, OutProtocol: 'flv',
    AuthKey: 'play-key-rot', Expire: 600 }, { method: 'POST' })).Url;
  // Offline stream: 404 once the key checks out, 403 when it does not open.
  assert.equal(await playStatus(url), 404);
  // a value no key opens (damaged) is left as it is, not a reason to stop
  const bad = (await c.request('CreateDevice', { GroupId: gb.Id, Type: 'ipc',
    GbId: '34020000001320000078', Username: 'admin', Password: 'x', Name: 'bad' },
  { method: 'POST' })).Id;
  L.sql(`UPDATE devices SET password_enc = 'garbage' WHERE id = ${bad}`);
  const before = sealed(t);
  assert.equal(before.length, 6);
  const oldKey = fs.readFileSync(file('master.key'), 'utf8');

  S.runLib('stack_rotate master-key');
  c = L.client(t.key); // nginx was reloaded: no kept-alive connection

  assert.notEqual(fs.readFileSync(file('master.key'), 'utf8'), oldKey);
  assert.equal(fs.readFileSync(file('master.key.old'), 'utf8'), oldKey);
  assert.equal(fs.statSync(file('master.key')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(file('master.key.old')).mode & 0o777, 0o600);
  const after = sealed(t);
  assert.equal(after.length, 6);
  for (let i = 0; i < 6; i++) assert.notEqual(after[i], before[i], `value ${i}`);
  assert.equal(L.sql(`SELECT password_enc FROM devices WHERE id = ${bad}`).trim(), 'garbage');
  // Each secret opens under the new key: the tenant's API secret (this
  // signed call), the device password, the play AuthKey, the push token.
  const d = await c.request('DescribeDevice', { Id: t.device });
  assert.equal(d.Password, 'cam-pass');
  assert.equal(await playStatus(url), 404);
  const push = L.push(s.PushUrl, 20);
  try {
    const on = await L.waitFor(async () => (await c.request('DescribeStream',
      { Id: s.Id })).Status === 'on', 15000, 300);
    assert.ok(on, 'the push with its token is accepted');
  } finally {
    push.kill('SIGKILL');
  }
  // A second run re-seals again (nothing left half-done).
  S.runLib('stack_rotate master-key');
  c = L.client(t.key);
  assert.equal((await c.request('DescribeDevice', { Id: t.device })).Password, 'cam-pass');
});

// Issue 10: older code sealed a stream's AccessInfo under its push token's
// label (the bare stream id); --migrate re-seals it under its own.
test('--migrate re-seals a stream AccessInfo sealed under the push token label', async () => {
  const t = await L.newTenant();
  const c = L.client(t.key);
  const g = await c.request('CreateGroup', { Name: 'r', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: 'flv' });
  const s = await c.request('CreateRtmpGroupStreamurl', { Id: g.Id, Name: 'x',
    AccessInfo: AI(t.user) }, { method: 'POST' });
  const hex = () => L.sql(`SELECT HEX(access_info_enc) FROM streams WHERE id = ${s.Id}`).trim();
  assert.equal(L.vault.open(hex(), `access_info:${s.Id}`), AI(t.user));
  L.sql(`UPDATE streams SET access_info_enc = X'${L.vault.seal('old', s.Id)}' WHERE id = ${s.Id}`);
  const token = L.sql(`SELECT HEX(push_token_enc) FROM streams WHERE id = ${s.Id}`).trim();
  const r = S.api('-c', S.conf, '--migrate');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /1 values re-sealed under their purpose's label/);
  assert.equal(L.vault.open(hex(), `access_info:${s.Id}`), 'old');
  assert.equal(L.vault.open(hex(), s.Id), null);
  assert.equal(L.sql(`SELECT HEX(push_token_enc) FROM streams WHERE id = ${s.Id}`).trim(),
    token, 'the push token untouched');
  const again = S.api('-c', S.conf, '--migrate');
  assert.doesNotMatch(again.stderr, /re-sealed/, 'once only');
});

test('rotating the operator key revokes the old one', async () => {
  const old = L.readKey(file('operator.key'));
  S.runLib('stack_rotate operator-key');
  const now = L.readKey(file('operator.key'));
  assert.notEqual(now.id, old.id);
  assert.equal(fs.statSync(file('operator.key')).mode & 0o777, 0o600);
  const r = await L.call('GetMtsServiceStatus', { UserId: 'nobody' }, { key: old });
  assert.equal(r.status, 404);
  assert.equal(r.json.Code, 'InvalidAccessKeyId.NotFound');
  const ok = await L.call('GetMtsServiceStatus', { UserId: 'nobody' }, { key: now });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(L.sql(`SELECT COUNT(*) FROM api_keys WHERE role = 'operator'
    AND revoked = 0`).trim(), '1');
});
