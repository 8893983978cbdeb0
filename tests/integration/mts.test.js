// Ordering Actions (spec section 9) through nginx, with the vendor SDK,
// our independent signer and vigilctl.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');

const access = (user) => JSON.stringify({ AccessKeyId: 'ak-' + user,
  AccessKeySecret: 'sk-secret-' + user });

for (const method of ['GET', 'POST']) {
  test(`pop-core ${method}: full tenant life cycle`, async () => {
    const op = L.client(L.operator);
    const user = L.uniqueUser(method);
    let r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 0);
    assert.match(r.RequestId, L.REQUEST_ID);

    r = await op.request('CreateMtsService', { UserId: user,
      AccessInfo: access(user) }, { method });
    assert.equal(r.UserId, user);
    assert.match(r.UserAccessKeyId, /^[0-9a-f]{32}$/);
    assert.match(r.UserAccessKeySecret, /^[0-9A-F]{32}$/);
    assert.equal(r.Code, undefined);
    const keys = r;

    // idempotent: the same keys again
    r = await op.request('CreateMtsService', { UserId: user,
      AccessInfo: access(user) }, { method });
    assert.equal(r.UserAccessKeyId, keys.UserAccessKeyId);
    assert.equal(r.UserAccessKeySecret, keys.UserAccessKeySecret);

    r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 2);
    await op.request('SuspendMtsService', { UserId: user }, { method });
    r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 1);
    await op.request('RenewMtsService', { UserId: user }, { method });
    r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 2);
    await op.request('DeleteMtsService', { UserId: user }, { method });
    r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 3);

    // the deleted tenant's key is revoked
    const t = await L.call('GetMtsServiceStatus', { UserId: user },
      { key: { id: keys.UserAccessKeyId, secret: keys.UserAccessKeySecret } });
    assert.equal(t.status, 404);
    assert.equal(t.json.Code, 'InvalidAccessKeyId.NotFound');

    // re-created afresh, with new keys
    r = await op.request('CreateMtsService', { UserId: user,
      AccessInfo: access(user) }, { method });
    assert.notEqual(r.UserAccessKeyId, keys.UserAccessKeyId);
    r = await op.request('GetMtsServiceStatus', { UserId: user }, { method });
    assert.equal(r.Status, 2);
  });
}

test('suspended tenant is refused, renewed tenant accepted', async () => {
  const op = L.client(L.operator);
  const { user, key } = await L.newTenant();
  const probe = () => L.call('DescribeGroups', {}, { key });
  let r = await probe();
  assert.equal(r.status, 200, r.body);
  await op.request('SuspendMtsService', { UserId: user });
  r = await probe();
  assert.equal(r.status, 403);
  assert.equal(r.json.Code, 'Forbidden.UserSuspended');
  await op.request('RenewMtsService', { UserId: user });
  r = await probe();
  assert.equal(r.status, 200, r.body);
});

test('tenant key on an operator Action is Forbidden', async () => {
  const { user, key } = await L.newTenant();
  for (const action of ['GetMtsServiceStatus', 'CreateMtsService',
    'SuspendMtsService', 'DeleteMtsService']) {
    const r = await L.call(action, { UserId: user, AccessInfo: access(user) },
      { key });
    assert.equal(r.status, 403, action);
    assert.equal(r.json.Code, 'Forbidden', action);
  }
  const r = await L.client(L.operator).request('GetMtsServiceStatus',
    { UserId: user });
  assert.equal(r.Status, 2, 'the refused calls changed nothing');
});

test('ResourceOwnerAccount: operator acts as a tenant; tenants may not', async () => {
  const { user, key } = await L.newTenant();
  let r = await L.call('DescribeGroups', { ResourceOwnerAccount: user });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json.Groups, []);
  r = await L.call('DescribeGroups', { ResourceOwnerAccount: 'nobody-' + user });
  assert.equal(r.status, 404);
  assert.equal(r.json.Code, 'InvalidUser.NotFound');
  r = await L.call('NoSuchAction', { ResourceOwnerAccount: 'nobody-' + user });
  assert.equal(r.json.Code, 'InvalidAction.NotFound',
    'unknown Actions are NotFound before the owner is resolved');
  r = await L.call('GetMtsServiceStatus', { UserId: user,
    ResourceOwnerAccount: user }, { key });
  assert.equal(r.json.Code, 'Forbidden');
  r = await L.call('GetMtsServiceStatus', { UserId: user,
    ResourceOwnerAccount: user });
  assert.equal(r.status, 403);
  assert.equal(r.json.Code, 'Forbidden', 'operator Actions take no owner');
});

test('secrets are encrypted at rest', async () => {
  const { user, key } = await L.newTenant();
  const hex = (s) => Buffer.from(s).toString('hex').toUpperCase();
  const info = L.sql(`SELECT HEX(access_info) FROM tenants WHERE user_id='${user}'`);
  assert.ok(info.trim().length > 0);
  assert.ok(!info.includes(hex('sk-' + user)), 'AccessInfo secret in clear');
  assert.ok(!info.includes(hex('AccessKeySecret')), 'AccessInfo JSON in clear');
  const sec = L.sql(`SELECT HEX(secret_enc) FROM api_keys WHERE access_key_id='${key.id}'`);
  assert.ok(sec.trim().length >= 2 * (32 + 28));
  assert.ok(!sec.includes(hex(key.secret)), 'key secret in clear');
  assert.ok(!L.accessLog().includes(key.secret), 'secret in the log');
});

test('vigilctl signs GET and POST, prints JSON, exits non-zero on errors', async () => {
  const user = L.uniqueUser('ctl');
  let r = L.vigilctl(['CreateMtsService', `UserId=${user}`,
    `AccessInfo=${access(user)}`]);
  assert.equal(r.status, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  assert.match(created.UserAccessKeyId, /^[0-9a-f]{32}$/);
  r = L.vigilctl(['--post', 'GetMtsServiceStatus', `UserId=${user}`]);
  assert.equal(r.status, 0);
  assert.equal(JSON.parse(r.stdout).Status, 2);
  r = L.vigilctl(['--access-key-id', created.UserAccessKeyId,
    '--access-key-secret', created.UserAccessKeySecret,
    'GetMtsServiceStatus', `UserId=${user}`]);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).Code, 'Forbidden');
  r = L.vigilctl(['NoSuchAction']);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).Code, 'InvalidAction.NotFound');
  // --print-url: a URL that works once, and only once
  r = L.vigilctl(['--print-url', 'GetMtsServiceStatus', `UserId=${user}`]);
  assert.equal(r.status, 0);
  const url = r.stdout.trim();
  assert.ok(url.startsWith(L.ENDPOINT + '/?'));
  const q = url.slice(url.indexOf('?') + 1);
  let h = await L.request('GET', q);
  assert.equal(h.json.Status, 2);
  h = await L.request('GET', q);
  assert.equal(h.json.Code, 'SignatureNonceUsed');
});

test('Chinese and special characters round-trip through signing', async () => {
  // UserId refuses them, so the value is checked after a signature passed
  const r = await L.call('GetMtsServiceStatus', { UserId: '视频 监控*~' });
  assert.equal(r.status, 400);
  assert.equal(r.json.Code, 'InvalidParameter');
  assert.match(r.json.Message, /UserId/);
});

test('DeleteMtsService removes the tenant\'s resources and stops its live streams', async () => {
  const F = require('./fixtures');
  const t = await F.tenant();
  const other = await F.tenant();
  const g = F.space(t);
  const d = F.device(t, g);
  const live = F.channel(t, g, d, { StreamStatus: 'on' });
  F.channel(t, g, d);
  const keep = F.space(other);
  const count = (table, tid) => Number(L.sql(`SELECT COUNT(*) FROM ${table} WHERE tenant_id = ${tid}`));
  assert.equal(count('streams', t.tenantId), 2);
  await L.client(L.operator).request('DeleteMtsService', { UserId: t.user });
  for (const table of ['spaces', 'devices', 'channels', 'streams']) {
    assert.equal(count(table, t.tenantId), 0, table);
  }
  assert.equal(count('spaces', other.tenantId), 1, 'another tenant keeps its space');
  assert.ok(L.sql(`SELECT id FROM spaces WHERE id = ${keep}`).trim());
  const jobs = L.sql(`SELECT kind, target FROM jobs WHERE tenant_id = ${t.tenantId}`);
  assert.match(jobs, new RegExp(`stream\\.stop\\s+${live.streamId}`));
  assert.equal(jobs.trim().split('\n').length, 1, 'only the live stream is stopped');
});

test('SuspendMtsService queues a stop for each live stream of the tenant', async () => {
  const F = require('./fixtures');
  const t = await F.tenant();
  const g = F.space(t, { InProtocol: 'rtmp' });
  const live = F.stream(t, g, { Protocol: 'rtmp', Status: 'on' });
  F.stream(t, g, { Protocol: 'rtmp' });
  await L.client(L.operator).request('SuspendMtsService', { UserId: t.user });
  const jobs = L.sql(`SELECT kind, target, payload FROM jobs WHERE tenant_id = ${t.tenantId}`);
  assert.equal(jobs.trim().split('\n').length, 1, jobs);
  assert.match(jobs, new RegExp(`stream\\.stop\\s+${live}\\s+.*suspended`));
  assert.equal(L.sql(`SELECT COUNT(*) FROM streams WHERE tenant_id = ${t.tenantId}`).trim(), '2',
    'suspension keeps the resources');
});

// Issue 9, item 7: concurrent first creates of one UserId deadlock in
// MariaDB; the router runs the loser again, so all get the same keys.
test('60 concurrent CreateMtsService of one new UserId: all 200, one key', async () => {
  for (let round = 0; round < 8; round++) {
    const user = L.uniqueUser('race');
    const rs = await Promise.all(Array.from({ length: 60 }, () =>
      L.call('CreateMtsService', { UserId: user,
        AccessInfo: '{"AccessKeyId":"a","AccessKeySecret":"b"}' }, { method: 'POST' })));
    assert.deepEqual(rs.filter((r) => r.status !== 200).map((r) => r.body), []);
    assert.equal(new Set(rs.map((r) => r.json.UserAccessKeyId)).size, 1);
  }
});

test('UserIds compare exactly: "acme " is not "acme"', async () => {
  const t = await L.newTenant();
  const r = await L.call('DescribeGroups', { ResourceOwnerAccount: t.user + ' ' });
  assert.equal(r.status, 404, r.body);
  assert.equal(r.json.Code, 'InvalidUser.NotFound');
  const ok = await L.call('DescribeGroups', { ResourceOwnerAccount: t.user });
  assert.equal(ok.status, 200, ok.body);
});

test('only application/x-www-form-urlencoded (and its parameters) is a form', async () => {
  const post = (ct) => {
    const list = L.signed('GetMtsServiceStatus', { UserId: 'ct' }, { method: 'POST' });
    return L.request('POST', '', L.encode(list), { 'content-type': ct });
  };
  assert.equal((await post('application/x-www-form-urlencoded; charset=utf-8')).status, 200);
  for (const ct of ['application/x-www-form-urlencodedX',
    'application/x-www-form-urlencoded-foo', 'text/plain']) {
    const r = await post(ct);
    assert.equal(r.status, 400, ct);
    assert.equal(r.json.Code, 'IncompleteSignature', ct); // the body was not read
  }
});
