// Every row of the NOTES section 2 error table that the foundation can
// produce: HTTP status, Code, a Message naming the cause, and no change.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');

function expectError(r, status, code, message) {
  assert.equal(r.status, status, `${code}: ${r.body}`);
  assert.equal(r.json.Code, code, r.body);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  assert.equal(typeof r.json.HostId, 'string');
  assert.equal(r.json.Status, 0);
  assert.deepEqual(r.json.Data, {});
  if (message) assert.match(r.json.Message, message);
}

const without = (list, name) => list.filter(([n]) => n !== name);
const replace = (list, name, value) => list.map(([n, v]) =>
  [n, n === name ? value : v]);

test('MissingParameter names the parameter', async () => {
  expectError(await L.call('GetMtsServiceStatus', {}), 400,
    'MissingParameter', /UserId/);
  expectError(await L.call('CreateMtsService', { UserId: 'x' }), 400,
    'MissingParameter', /AccessInfo/);
  expectError(await L.call('GetMtsServiceStatus', { UserId: '' }), 400,
    'MissingParameter', /UserId/);
  expectError(await L.call(undefined, {}), 400, 'MissingParameter', /Action/);
  const list = without(L.signed('GetMtsServiceStatus', { UserId: 'x' }), 'Timestamp');
  expectError(await L.call(null, null, { list }), 400, 'MissingParameter', /Timestamp/);
});

test('InvalidParameter: bad values and hostile encodings', async () => {
  const user = L.uniqueUser('inv');
  expectError(await L.call('CreateMtsService', { UserId: user,
    AccessInfo: 'not json' }), 400, 'InvalidParameter', /AccessInfo/);
  expectError(await L.call('CreateMtsService', { UserId: user,
    AccessInfo: '{"AccessKeyId":"a"}' }), 400, 'InvalidParameter', /AccessKeySecret/);
  expectError(await L.call('CreateMtsService', { UserId: 'x'.repeat(65),
    AccessInfo: '{"AccessKeyId":"a","AccessKeySecret":"b"}' }), 400,
  'InvalidParameter', /UserId/);
  const st = await L.client(L.operator).request('GetMtsServiceStatus', { UserId: user });
  assert.equal(st.Status, 0, 'refused creates changed nothing');

  const q = L.encode(L.signed('GetMtsServiceStatus', { UserId: user }));
  for (const bad of ['%zz', '%4', '%00', '%C0%AF', '%FF', '%ED%A0%80']) {
    expectError(await L.request('GET', q + '&X=' + bad), 400,
      'InvalidParameter', /X|malformed/);
  }
  expectError(await L.request('GET', q + '&=x'), 400, 'InvalidParameter', /name/);
  expectError(await L.request('GET', q + '&UserId=dup'), 400,
    'InvalidParameter', /duplicate parameter UserId/);
  // query + body are merged: a name in both is a duplicate too
  const list = L.signed('GetMtsServiceStatus', { UserId: user }, { method: 'POST' });
  expectError(await L.request('POST', 'UserId=' + user, L.encode(list),
    { 'content-type': 'application/x-www-form-urlencoded' }), 400,
  'InvalidParameter', /duplicate/);
  expectError(await L.call('GetMtsServiceStatus', { UserId: user, Format: 'XML' }),
    400, 'InvalidParameter', /Format/);
});

test('query and form parameters are merged before verification', async () => {
  const list = L.signed('GetMtsServiceStatus', { UserId: 'merged-user' },
    { method: 'POST' });
  const inUrl = list.filter(([n]) => n !== 'UserId' && n !== 'Signature');
  const inBody = list.filter(([n]) => n === 'UserId' || n === 'Signature');
  const r = await L.request('POST', L.encode(inUrl), L.encode(inBody),
    { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.Status, 0);
});

test('IncompleteSignature for missing or malformed signing parameters', async () => {
  const base = L.signed('GetMtsServiceStatus', { UserId: 'x' });
  for (const name of ['Signature', 'AccessKeyId', 'SignatureNonce',
    'SignatureMethod', 'SignatureVersion']) {
    expectError(await L.call(null, null, { list: without(base, name) }), 400,
      'IncompleteSignature', new RegExp(name));
  }
  const sha256 = L.signed('GetMtsServiceStatus', { UserId: 'x',
    SignatureMethod: 'HMAC-SHA256' });
  expectError(await L.call(null, null, { list: sha256 }), 400,
    'IncompleteSignature', /SignatureMethod/);
  const v2 = L.signed('GetMtsServiceStatus', { UserId: 'x', SignatureVersion: '2.0' });
  expectError(await L.call(null, null, { list: v2 }), 400,
    'IncompleteSignature', /SignatureVersion/);
});

test('SignatureDoesNotMatch: wrong secret, tampered value, wrong method', async () => {
  expectError(await L.call('GetMtsServiceStatus', { UserId: 'x' },
    { secret: 'wrong' }), 400, 'SignatureDoesNotMatch', /StringToSign/);
  const list = replace(L.signed('GetMtsServiceStatus', { UserId: 'x' }), 'UserId', 'y');
  expectError(await L.call(null, null, { list }), 400, 'SignatureDoesNotMatch');
  // signed as GET, sent as POST (the same parameters in the body)
  const asGet = L.signed('GetMtsServiceStatus', { UserId: 'x' }, { method: 'GET' });
  expectError(await L.call(null, null, { list: asGet, method: 'POST' }), 400,
    'SignatureDoesNotMatch', /POST&/);
  // and the reverse
  const asPost = L.signed('GetMtsServiceStatus', { UserId: 'x' }, { method: 'POST' });
  expectError(await L.call(null, null, { list: asPost, method: 'GET' }), 400,
    'SignatureDoesNotMatch', /GET&/);
});

test('InvalidTimeStamp.Format and .Expired', async () => {
  for (const ts of ['2019-02-28 00:00:00', '2019-02-28T00:00:00', '1551312000',
    '2019-02-30T00:00:00Z', '2019-02-28T00:00:00.000Z', '2019-02-28T08:00:00+08:00']) {
    expectError(await L.call('GetMtsServiceStatus', { UserId: 'x', Timestamp: ts }),
      400, 'InvalidTimeStamp.Format', /Timestamp/);
  }
  for (const off of [-16 * 60, 16 * 60]) {
    expectError(await L.call('GetMtsServiceStatus', { UserId: 'x',
      Timestamp: L.timestamp(off) }), 400, 'InvalidTimeStamp.Expired');
  }
  const ok = await L.call('GetMtsServiceStatus', { UserId: 'x',
    Timestamp: L.timestamp(-14 * 60) });
  assert.equal(ok.status, 200, ok.body);
});

test('SignatureNonceUsed: a replay is refused, a new nonce is not', async () => {
  const list = L.signed('GetMtsServiceStatus', { UserId: 'x' });
  assert.equal((await L.call(null, null, { list })).status, 200);
  expectError(await L.call(null, null, { list }), 400, 'SignatureNonceUsed');
  // the same nonce under another key is a different nonce
  const { key } = await L.newTenant();
  const nonce = list.find(([n]) => n === 'SignatureNonce')[1];
  const other = await L.call('DescribeGroups', { SignatureNonce: nonce }, { key });
  assert.equal(other.status, 200, other.body);
});

test('a replay is refused even when another worker gets it', async () => {
  const list = L.signed('GetMtsServiceStatus', { UserId: 'x' });
  const first = await L.call(null, null, { list });
  assert.equal(first.status, 200);
  const firstPid = L.pidOfRequest(first.json.RequestId);
  assert.ok(firstPid, 'the access log names the worker');
  const replays = await Promise.all(Array.from({ length: 24 },
    () => L.call(null, null, { list })));
  const pids = new Set();
  for (const r of replays) {
    expectError(r, 400, 'SignatureNonceUsed');
    pids.add(L.pidOfRequest(r.json.RequestId));
  }
  pids.delete(firstPid);
  assert.ok(pids.size >= 1, 'some replay reached another worker');
});

test('InvalidVersion and a missing Version', async () => {
  expectError(await L.call('GetMtsServiceStatus', { UserId: 'x',
    Version: '2014-05-26' }), 400, 'InvalidVersion', /2018-12-12/);
  const list = without(L.signed('GetMtsServiceStatus', { UserId: 'x',
    Version: undefined }), 'Version');
  expectError(await L.call(null, null, { list }), 400, 'MissingParameter', /Version/);
});

test('InvalidAccessKeyId.NotFound', async () => {
  expectError(await L.call('GetMtsServiceStatus', { UserId: 'x' },
    { key: { id: 'ffffffffffffffffffffffffffffffff', secret: 'x' } }), 404,
  'InvalidAccessKeyId.NotFound');
});

test('InvalidAction.NotFound for unknown and not-yet-built Actions', async () => {
  for (const a of ['NoSuchAction', 'DescribeUsageStatBpsData']) {
    expectError(await L.call(a, {}), 404, 'InvalidAction.NotFound', new RegExp(a));
  }
});

test('UnsupportedHTTPMethod', async () => {
  for (const m of ['PUT', 'DELETE', 'PATCH']) {
    const list = L.signed('GetMtsServiceStatus', { UserId: 'x' }, { method: m });
    expectError(await L.request(m, L.encode(list)), 403, 'UnsupportedHTTPMethod');
  }
});

test('Forbidden.UserSuspended and InvalidUser.NotFound', async () => {
  const op = L.client(L.operator);
  const { user, key } = await L.newTenant();
  await op.request('SuspendMtsService', { UserId: user });
  expectError(await L.call('DescribeGroups', {}, { key }), 403,
    'Forbidden.UserSuspended');
  await op.request('RenewMtsService', { UserId: user });
  const ghost = L.uniqueUser('ghost');
  for (const a of ['SuspendMtsService', 'RenewMtsService', 'DeleteMtsService']) {
    expectError(await L.call(a, { UserId: ghost }), 404, 'InvalidUser.NotFound', /ghost/);
  }
});

test('RequestEntityTooLarge above 1 MiB', async () => {
  const list = L.signed('GetMtsServiceStatus', { UserId: 'x' }, { method: 'POST' });
  const body = L.encode(list) + '&Pad=' + 'a'.repeat(1024 * 1024);
  expectError(await L.request('POST', '', body,
    { 'content-type': 'application/x-www-form-urlencoded' }), 413,
  'RequestEntityTooLarge');
});

test('every reply has an uppercase RequestId; successes carry no Code', async () => {
  const r = await L.call('GetMtsServiceStatus', { UserId: 'x' });
  assert.equal(r.status, 200);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  assert.equal(r.json.Code, undefined);
  const ping = await L.request('GET', '', undefined, {}, L.ENDPOINT, '/ping');
  assert.equal(ping.status, 200);
});
