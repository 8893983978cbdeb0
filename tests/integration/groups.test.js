// Spaces (spec section 1) and directories (as in Alibaba Cloud's vs API):
// every Action's reply shape, its parameter errors, NotFound for unknown and
// other tenants' ids, pagination, and DeleteGroup's cascade.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');
const F = require('./fixtures');

// The stack's public addresses, as the replies must show them.
const conf = fs.readFileSync(path.join(L.VAR, 'vigil.conf'), 'utf8');
const confValue = (name, def) => {
  const m = conf.match(new RegExp(`^\\s*${name}\\s*=\\s*"?([^";]*)"?;`, 'm'));
  return m ? m[1] : def;
};
const GB_DOMAIN = confValue('gb_domain', '3402000000');
const GB_IP = confValue('gb_ip', '127.0.0.1');
const RTMP_PORT = Number(confValue('rtmp_port', '1935'));

const ID = /^\d{16}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const GB_ID = new RegExp(`^${GB_DOMAIN}2000\\d{6}$`);

// A tenant with helpers: ok() through the vendor SDK, raw() for statuses.
async function tenant() {
  const t = await F.tenant();
  const c = L.client(t.key);
  t.ok = (action, params = {}, method = 'POST') =>
    c.request(action, params, { method });
  t.raw = (action, params = {}, method = 'GET') =>
    L.call(action, params, { key: t.key, method });
  t.group = async (o = {}) => (await t.ok('CreateGroup', Object.assign({
    Name: 'g', Region: 'cn-shanghai', InProtocol: 'gb28181',
    OutProtocol: 'flv' }, o))).Id;
  return t;
}

function expectError(r, status, code, message) {
  assert.equal(r.status, status, `${code}: ${r.body}`);
  assert.equal(r.json.Code, code, r.body);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  if (message) assert.match(r.json.Message, message);
}

// Asserts the JSON type of every field of a spec table (and no Code).
function shape(o, fields) {
  assert.equal(o.Code, undefined);
  for (const [k, type] of Object.entries(fields)) {
    const actual = Array.isArray(o[k]) ? 'array'
      : o[k] === null ? 'null' : typeof o[k];
    assert.equal(actual, type, `${k} is ${actual}, want ${type}`);
  }
}

const GROUP = {
  Id: 'string', Name: 'string', Description: 'string', Region: 'string',
  App: 'string', InProtocol: 'string', OutProtocol: 'string',
  Enabled: 'boolean', Status: 'string', CreatedTime: 'string',
  LazyPull: 'boolean', Callback: 'string', GbId: 'string', GbIp: 'string',
  GbUdpPort: 'number', GbTcpPort: 'number', PushRtmpBaseUrl: 'string',
};
const STATS = { DeviceNum: 'number', IpcNum: 'number', IedNum: 'number',
  PlatformNum: 'number' };
const PAGE = { PageSize: 'number', PageNum: 'number', PageCount: 'number',
  TotalCount: 'number' };
const DIRECTORY = { Id: 'string', Name: 'string', Description: 'string',
  GroupId: 'string', ParentId: 'string', CreatedTime: 'string' };

const count = (q) => Number(L.sql(q).trim());
// The streams of a space that got stop jobs, in job order.
const stopped = (t) => L.sql(`SELECT target FROM jobs WHERE tenant_id =
  ${t.tenantId} AND kind = 'stream.stop' ORDER BY id`).trim().split('\n')
  .filter(Boolean);

// ---------------------------------------------------------------- CreateGroup

test('CreateGroup gb28181: Id, GbId from the domain, GbIp, GbPort', async () => {
  const t = await tenant();
  for (const method of ['GET', 'POST']) {
    const r = await t.ok('CreateGroup', { Name: '视频监控', Region: 'cn-shanghai',
      InProtocol: 'gb28181', OutProtocol: 'rtmp,flv' }, method);
    shape(r, { Id: 'string', GbId: 'string', GbIp: 'string', GbPort: 'number',
      RequestId: 'string' });
    assert.match(r.Id, ID);
    assert.match(r.GbId, GB_ID);
    assert.equal(r.GbIp, GB_IP);
    assert.ok(r.GbPort > 0 && r.GbPort < 65536);
    const d = await t.ok('DescribeGroup', { Id: r.Id });
    assert.equal(d.Name, '视频监控');
    assert.equal(d.GbId, r.GbId);
    assert.equal(d.GbUdpPort, r.GbPort);
    assert.equal(d.OutProtocol, 'flv,rtmp', 'stored in canonical order');
    assert.equal(d.App, 'live', 'App defaults to live');
    assert.equal(d.LazyPull, false);
    assert.equal(d.PushRtmpBaseUrl, '');
  }
});

test('CreateGroup: concurrent gb28181 spaces get distinct GbIds', async () => {
  const t = await tenant();
  const ids = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    t.ok('CreateGroup', { Name: 'c' + i, Region: 'r', InProtocol: 'gb28181',
      OutProtocol: 'hls' })));
  const gb = new Set(ids.map((r) => r.GbId));
  assert.equal(gb.size, 12);
  for (const g of gb) assert.match(g, GB_ID);
});

test('CreateGroup rtmp: PushRtmpBaseUrl with App, no GbId', async () => {
  const t = await tenant();
  const r = await t.ok('CreateGroup', { Name: 'r', Region: 'cn-beijing',
    InProtocol: 'rtmp', OutProtocol: 'hls,rtmp,flv', App: 'my_app-1',
    LazyPull: 'true', Callback: 'https://cb.example.com/vs?x=1',
    Description: '描述' });
  shape(r, { Id: 'string', GbId: 'string', GbIp: 'string', GbPort: 'number',
    PushRtmpBaseUrl: 'string' });
  assert.equal(r.GbId, '');
  assert.equal(r.GbPort, 0);
  const port = RTMP_PORT === 1935 ? '' : `:${RTMP_PORT}`;
  assert.match(r.PushRtmpBaseUrl,
    new RegExp(`^rtmp://[^/:]+${port}/my_app-1$`));
  const d = await t.ok('DescribeGroup', { Id: r.Id });
  assert.equal(d.PushRtmpBaseUrl, r.PushRtmpBaseUrl);
  assert.equal(d.LazyPull, true);
  assert.equal(d.Callback, 'https://cb.example.com/vs?x=1');
  assert.equal(d.Description, '描述');
  assert.equal(d.OutProtocol, 'flv,hls,rtmp');
  assert.equal(d.GbUdpPort, 0);
  assert.equal(d.GbTcpPort, 0);
});

test('CreateGroup: each required parameter missing or empty', async () => {
  const t = await tenant();
  const full = { Name: 'n', Region: 'r', InProtocol: 'rtmp', OutProtocol: 'flv' };
  for (const name of Object.keys(full)) {
    for (const value of [undefined, '']) {
      const p = Object.assign({}, full, { [name]: value });
      expectError(await t.raw('CreateGroup', p), 400, 'MissingParameter',
        new RegExp(name));
    }
  }
  assert.equal((await t.ok('DescribeGroups')).TotalCount, 0, 'nothing created');
});

test('CreateGroup: malformed values are InvalidParameter, nothing created', async () => {
  const t = await tenant();
  const full = { Name: 'n', Region: 'r', InProtocol: 'rtmp', OutProtocol: 'flv' };
  const bad = [
    ['InProtocol', 'sip'], ['InProtocol', 'RTMP'],
    ['OutProtocol', 'flv,dash'], ['OutProtocol', 'flv,flv'],
    ['OutProtocol', 'flv,'], ['App', 'a/b'], ['App', 'x'.repeat(65)],
    ['Callback', 'my.callback.com'], ['Callback', 'ftp://x.example'],
    ['Callback', 'http://'], ['Callback', 'http://a b'],
    ['LazyPull', 'yes'], ['Name', 'x'.repeat(129)], ['Name', 'a\nb'],
    ['Region', 'r'.repeat(65)], ['Description', 'd'.repeat(1025)],
  ];
  for (const [name, value] of bad) {
    const r = await t.raw('CreateGroup', Object.assign({}, full,
      { [name]: value }));
    expectError(r, 400, 'InvalidParameter', new RegExp(name));
  }
  assert.equal((await t.ok('DescribeGroups')).TotalCount, 0, 'nothing created');
});

test('CreateGroup: 128-character Chinese name is accepted', async () => {
  const t = await tenant();
  const name = '监'.repeat(128);
  const id = await t.group({ Name: name });
  assert.equal((await t.ok('DescribeGroup', { Id: id })).Name, name);
});

// -------------------------------------------------------------- DescribeGroup

test('DescribeGroup: every field, Stats only with IncludeStats', async () => {
  const t = await tenant();
  const id = await t.group({ Name: '园区一号', Description: 'd',
    Callback: 'http://h.example' });
  for (const type of ['ipc', 'ipc', 'ied', 'platform']) {
    F.device(t, id, { Type: type });
  }
  const other = await t.group();
  F.device(t, other, { Type: 'ipc' });

  let d = await t.ok('DescribeGroup', { Id: id });
  shape(d, Object.assign({ RequestId: 'string' }, GROUP));
  assert.equal(d.Stats, undefined);
  assert.equal(d.Id, id);
  assert.equal(d.Name, '园区一号');
  assert.equal(d.Enabled, true);
  assert.equal(d.Status, 'on');
  assert.match(d.CreatedTime, TIME);
  assert.ok(Math.abs(Date.parse(d.CreatedTime) - Date.now()) < 120000,
    'CreatedTime is UTC');
  assert.equal(d.InProtocol, 'gb28181');
  assert.equal(d.Region, 'cn-shanghai');

  d = await t.ok('DescribeGroup', { Id: id, IncludeStats: 'true' }, 'GET');
  shape(d.Stats, STATS);
  assert.deepEqual({ ...d.Stats }, { DeviceNum: 4, IpcNum: 2, IedNum: 1,
    PlatformNum: 1 });
  d = await t.ok('DescribeGroup', { Id: await t.group(), IncludeStats: 'true' });
  assert.deepEqual({ ...d.Stats }, { DeviceNum: 0, IpcNum: 0, IedNum: 0,
    PlatformNum: 0 });
});

// Id errors shared by every Action that takes a space Id.
async function idErrors(t, action, extra = {}) {
  const other = await tenant();
  const theirs = await other.group();
  expectError(await t.raw(action, extra), 400, 'MissingParameter', /Id/);
  expectError(await t.raw(action, Object.assign({ Id: 'abc' }, extra)), 400,
    'InvalidParameter', /Id/);
  expectError(await t.raw(action, Object.assign({ Id: F.newId() }, extra)),
    404, 'InvalidGroup.NotFound');
  const r = await t.raw(action, Object.assign({ Id: theirs }, extra));
  expectError(r, 404, 'InvalidGroup.NotFound');
  assert.ok(!r.json.Message.includes('tenant'), 'no hint of another owner');
  // the other tenant's space is untouched
  const d = await other.ok('DescribeGroup', { Id: theirs });
  assert.equal(d.Enabled, true);
  assert.equal(d.Name, 'g');
}

test('DescribeGroup: missing, malformed, unknown and foreign Id', async () => {
  const t = await tenant();
  await idErrors(t, 'DescribeGroup');
  expectError(await t.raw('DescribeGroup', { Id: await t.group(),
    IncludeStats: 'yes' }), 400, 'InvalidParameter', /IncludeStats/);
});

// ------------------------------------------------------------- DescribeGroups

test('DescribeGroups: fields, filters, sorting', async () => {
  const t = await tenant();
  const a = await t.group({ Name: '北京 东门', Region: 'cn-beijing' });
  const b = await t.group({ Name: 'b_100%', InProtocol: 'rtmp' });
  const c = await t.group({ Name: 'bx100', Region: 'cn-beijing' });
  await t.ok('HaltGroup', { Id: c });
  F.device(t, a, { Type: 'ied' });
  const other = await tenant();
  await other.group({ Name: '北京 东门' });

  const all = await t.ok('DescribeGroups', { IncludeStats: 'true' });
  shape(all, Object.assign({ Groups: 'array', RequestId: 'string' }, PAGE));
  assert.deepEqual(all.Groups.map((g) => g.Id), [a, b, c], 'default: by id');
  for (const g of all.Groups) {
    shape(g, GROUP);
    shape(g.Stats, STATS);
  }
  assert.equal(all.Groups[0].Stats.IedNum, 1);
  assert.equal(all.TotalCount, 3);
  assert.equal(all.PageSize, 20);
  assert.equal(all.PageNum, 1);
  assert.equal(all.PageCount, 1);
  assert.equal((await t.ok('DescribeGroups')).Groups[0].Stats, undefined);

  const ids = async (p) => (await t.ok('DescribeGroups', p, 'GET')).Groups
    .map((g) => g.Id);
  assert.deepEqual(await ids({ Id: b }), [b]);
  assert.deepEqual(await ids({ Name: '北京' }), [a], 'substring match');
  assert.deepEqual(await ids({ Name: '北京 东门' }), [a]);
  assert.deepEqual(await ids({ Name: '_100%' }), [b], 'wildcards are literal');
  assert.deepEqual(await ids({ Name: 'B' }), [], 'case-sensitive');
  assert.deepEqual(await ids({ Name: '' }), [a, b, c], 'empty: no filter');
  assert.deepEqual(await ids({ Region: 'cn-beijing' }), [a, c]);
  assert.deepEqual(await ids({ InProtocol: 'rtmp' }), [b]);
  assert.deepEqual(await ids({ Status: 'off' }), [c]);
  assert.deepEqual(await ids({ Status: 'on', Region: 'cn-beijing' }), [a]);
  assert.deepEqual(await ids({ SortBy: 'name', SortDirection: 'desc' }),
    [a, c, b]);
  assert.deepEqual(await ids({ SortBy: 'createdTime', SortDirection: 'desc' }),
    [c, b, a]);
  assert.deepEqual(await ids({ SortBy: 'id', SortDirection: 'asc' }), [a, b, c]);
});

test('DescribeGroups: pagination edges', async () => {
  const t = await tenant();
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await t.group({ Name: 'p' + i }));
  let r = await t.ok('DescribeGroups', { PageSize: 2, PageNum: 3 });
  assert.deepEqual(r.Groups.map((g) => g.Id), [made[4]]);
  assert.equal(r.TotalCount, 5);
  assert.equal(r.PageCount, 3);
  r = await t.ok('DescribeGroups', { PageSize: 2, PageNum: 4 });
  assert.deepEqual(r.Groups, [], 'a page past the end is empty');
  assert.equal(r.TotalCount, 5);
  assert.equal(r.PageCount, 3);
  assert.equal(r.PageNum, 4);
  r = await t.ok('DescribeGroups', { PageSize: 100 });
  assert.equal(r.Groups.length, 5);
  for (const [name, value] of [['PageSize', 0], ['PageSize', 101],
    ['PageSize', 'x'], ['PageNum', 0], ['PageNum', -1]]) {
    expectError(await t.raw('DescribeGroups', { [name]: value }), 400,
      'InvalidParameter', new RegExp(name));
  }
});

test('DescribeGroups: bad filters are InvalidParameter', async () => {
  const t = await tenant();
  for (const [name, value] of [['Id', '12ab'], ['InProtocol', 'sip'],
    ['Status', 'paused'], ['SortBy', 'region'], ['SortBy', 'id;drop'],
    ['SortDirection', 'up'], ['IncludeStats', '1']]) {
    expectError(await t.raw('DescribeGroups', { [name]: value }), 400,
      'InvalidParameter', new RegExp(name));
  }
});

test('DescribeGroups: the operator acts for a tenant by ResourceOwnerAccount',
  async () => {
    const t = await tenant();
    const id = await t.group({ Name: '代理' });
    const r = await L.call('DescribeGroups', { ResourceOwnerAccount: t.user });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json.Groups.map((g) => g.Id), [id]);
    const c = await L.call('CreateGroup', { ResourceOwnerAccount: t.user,
      Name: 'op', Region: 'r', InProtocol: 'rtmp', OutProtocol: 'flv' },
    { method: 'POST' });
    assert.equal(c.status, 200, c.body);
    assert.equal((await t.ok('DescribeGroup', { Id: c.json.Id })).Name, 'op');
  });

// ---------------------------------------------------------------- ModifyGroup

test('ModifyGroup changes only the given fields', async () => {
  const t = await tenant();
  const id = await t.group({ Name: 'old', Description: 'desc',
    Callback: 'http://a.example/x', OutProtocol: 'hls' });
  const before = await t.ok('DescribeGroup', { Id: id });
  let r = await t.ok('ModifyGroup', { Id: id, Name: '新名字' });
  shape(r, { Id: 'string', RequestId: 'string' });
  assert.equal(r.Id, id);
  let d = await t.ok('DescribeGroup', { Id: id });
  assert.deepEqual(Object.assign({}, d, { RequestId: 0 }),
    Object.assign({}, before, { Name: '新名字', RequestId: 0 }));

  await t.ok('ModifyGroup', { Id: id, Region: 'cn-hangzhou',
    OutProtocol: 'rtmp,flv', LazyPull: 'true', Callback: 'https://b.example' });
  d = await t.ok('DescribeGroup', { Id: id });
  assert.equal(d.Region, 'cn-hangzhou');
  assert.equal(d.OutProtocol, 'flv,rtmp');
  assert.equal(d.LazyPull, true);
  assert.equal(d.Callback, 'https://b.example');
  assert.equal(d.Description, 'desc');
  assert.equal(d.GbId, before.GbId, 'same protocol keeps the GbId');

  // present but empty clears the clearable texts (the spec's own example)
  await t.ok('ModifyGroup', { Id: id, Description: '', Callback: '' }, 'GET');
  d = await t.ok('DescribeGroup', { Id: id });
  assert.equal(d.Description, '');
  assert.equal(d.Callback, '');
  assert.equal(d.Name, '新名字');
});

test('ModifyGroup Enabled switches Status and stops live streams', async () => {
  const t = await tenant();
  const id = await t.group({ InProtocol: 'rtmp' });
  const live = F.stream(t, id, { Protocol: 'rtmp', Status: 'on' });
  F.stream(t, id, { Protocol: 'rtmp' });
  await t.ok('ModifyGroup', { Id: id, Enabled: 'false' });
  let d = await t.ok('DescribeGroup', { Id: id });
  assert.equal(d.Enabled, false);
  assert.equal(d.Status, 'off');
  assert.deepEqual(stopped(t), [live]);
  await t.ok('ModifyGroup', { Id: id, Enabled: 'true' });
  d = await t.ok('DescribeGroup', { Id: id });
  assert.equal(d.Status, 'on');
  assert.deepEqual(stopped(t), [live], 'enabling stops nothing');
});

test('ModifyGroup InProtocol: GbId follows; refused with devices or streams',
  async () => {
    const t = await tenant();
    const id = await t.group({ InProtocol: 'rtmp' });
    await t.ok('ModifyGroup', { Id: id, InProtocol: 'gb28181' });
    let d = await t.ok('DescribeGroup', { Id: id });
    assert.equal(d.InProtocol, 'gb28181');
    assert.match(d.GbId, GB_ID);
    assert.equal(d.PushRtmpBaseUrl, '');
    await t.ok('ModifyGroup', { Id: id, InProtocol: 'rtmp' });
    d = await t.ok('DescribeGroup', { Id: id });
    assert.equal(d.GbId, '');
    assert.match(d.PushRtmpBaseUrl, /^rtmp:\/\/.+\/live$/);

    const withDevice = await t.group();
    F.device(t, withDevice);
    const withStream = await t.group({ InProtocol: 'rtmp' });
    F.stream(t, withStream, { Protocol: 'rtmp' });
    for (const [gid, to] of [[withDevice, 'rtmp'], [withStream, 'gb28181']]) {
      const before = await t.ok('DescribeGroup', { Id: gid });
      expectError(await t.raw('ModifyGroup', { Id: gid, InProtocol: to,
        Name: 'changed' }), 409, 'IncorrectGroupStatus', /InProtocol/);
      const after = await t.ok('DescribeGroup', { Id: gid });
      assert.equal(after.InProtocol, before.InProtocol);
      assert.equal(after.Name, before.Name, 'nothing changed');
    }
    // the same protocol again is no change, so it is allowed
    await t.ok('ModifyGroup', { Id: withDevice, InProtocol: 'gb28181' });
  });

test('ModifyGroup: bad values are InvalidParameter and change nothing',
  async () => {
    const t = await tenant();
    const id = await t.group();
    const before = await t.ok('DescribeGroup', { Id: id });
    for (const [name, value] of [['InProtocol', 'hls'],
      ['OutProtocol', 'mp4'], ['Enabled', 'on'], ['LazyPull', 'no'],
      ['Callback', 'cb.example.com'], ['Name', 'n'.repeat(129)]]) {
      expectError(await t.raw('ModifyGroup', { Id: id, Description: 'x',
        [name]: value }), 400, 'InvalidParameter', new RegExp(name));
    }
    const after = await t.ok('DescribeGroup', { Id: id });
    assert.equal(after.Description, before.Description);
    await idErrors(t, 'ModifyGroup', { Name: 'hijack' });
  });

// ----------------------------------------------------- HaltGroup, EnableGroup

test('HaltGroup and EnableGroup switch Status, idempotently', async () => {
  const t = await tenant();
  const id = await t.group();
  const dev = F.device(t, id);
  const live = F.channel(t, id, dev, { StreamStatus: 'on' }).streamId;
  F.channel(t, id, dev);
  const elsewhere = await t.group();
  F.channel(t, elsewhere, F.device(t, elsewhere), { StreamStatus: 'on' });
  for (const [action, status] of [['HaltGroup', 'off'], ['HaltGroup', 'off'],
    ['EnableGroup', 'on'], ['EnableGroup', 'on']]) {
    const r = await t.ok(action, { Id: id });
    shape(r, { Id: 'string', RequestId: 'string' });
    assert.equal(r.Id, id);
    const d = await t.ok('DescribeGroup', { Id: id });
    assert.equal(d.Status, status);
    assert.equal(d.Enabled, status === 'on');
  }
  assert.deepEqual(stopped(t), [live],
    'one stop job per live stream of this space, on a real halt only');
});

for (const action of ['HaltGroup', 'EnableGroup', 'DeleteGroup']) {
  test(`${action}: missing, malformed, unknown and foreign Id`, async () => {
    const t = await tenant();
    await idErrors(t, action);
  });
}

// ---------------------------------------------------------------- DeleteGroup

test('DeleteGroup: refused while enabled', async () => {
  const t = await tenant();
  const id = await t.group();
  F.device(t, id);
  expectError(await t.raw('DeleteGroup', { Id: id }), 409,
    'IncorrectGroupStatus', /halt/i);
  assert.equal((await t.ok('DescribeGroup', { Id: id, IncludeStats: 'true' }))
    .Stats.DeviceNum, 1, 'nothing removed');
});

test('DeleteGroup removes the space and everything in it, nothing else',
  async () => {
    const t = await tenant();
    const setup = async () => {
      const gid = await t.group();
      const dev = F.device(t, gid);
      const { streamId } = F.channel(t, gid, dev);
      const rtmp = F.stream(t, gid, { Protocol: 'rtmp' });
      const dir = (await t.ok('CreateDirectory', { GroupId: gid,
        Name: 'd' })).Id;
      await t.ok('CreateDirectory', { GroupId: gid, Name: 'sub',
        ParentId: dir });
      for (const [type, inst] of [['group', gid], ['stream', streamId],
        ['stream', rtmp]]) {
        L.sql(`INSERT INTO template_bindings (tenant_id, instance_type,
          instance_id, template_type, template_id) VALUES (${t.tenantId},
          '${type}', ${inst}, 'record', ${F.newId()})`);
      }
      return { gid, dev, streamId, rtmp };
    };
    const doomed = await setup();
    const kept = await setup();
    const theirs = await tenant();
    const foreign = await theirs.group();
    F.device(theirs, foreign);

    const rows = (g) => count(`SELECT
      (SELECT COUNT(*) FROM spaces WHERE id = ${g.gid}) +
      (SELECT COUNT(*) FROM devices WHERE group_id = ${g.gid}) +
      (SELECT COUNT(*) FROM channels WHERE device_id = ${g.dev}) +
      (SELECT COUNT(*) FROM streams WHERE group_id = ${g.gid}) +
      (SELECT COUNT(*) FROM directories WHERE group_id = ${g.gid}) +
      (SELECT COUNT(*) FROM template_bindings WHERE instance_id IN
        (${g.gid}, ${g.streamId}, ${g.rtmp}))`);
    assert.equal(rows(doomed), 1 + 1 + 1 + 2 + 2 + 3);

    await t.ok('HaltGroup', { Id: doomed.gid });
    // a stream that went live anyway still gets its stop job
    F.live(t, doomed.rtmp);
    const r = await t.ok('DeleteGroup', { Id: doomed.gid });
    assert.match(r.RequestId, L.REQUEST_ID);
    assert.equal(rows(doomed), 0, 'the space and its contents are gone');
    assert.deepEqual(stopped(t), [doomed.rtmp]);
    assert.match(L.sql(`SELECT payload FROM jobs WHERE target =
      ${doomed.rtmp}`), /group deleted/);
    assert.equal(rows(kept), 10, 'another space is untouched');
    assert.equal(count(`SELECT COUNT(*) FROM devices WHERE group_id =
      ${foreign}`), 1, 'another tenant is untouched');
    expectError(await t.raw('DescribeGroup', { Id: doomed.gid }), 404,
      'InvalidGroup.NotFound');
    expectError(await t.raw('DeleteGroup', { Id: doomed.gid }), 404,
      'InvalidGroup.NotFound');
  });

// ---------------------------------------------------------------- Directories

test('CreateDirectory and DescribeDirectories: a tree, every field', async () => {
  const t = await tenant();
  const gid = await t.group();
  const root = await t.ok('CreateDirectory', { GroupId: gid, Name: '一楼',
    Description: '大厅' });
  shape(root, { Id: 'string', RequestId: 'string' });
  assert.match(root.Id, ID);
  const child = (await t.ok('CreateDirectory', { GroupId: gid, Name: '东区',
    ParentId: root.Id }, 'GET')).Id;
  const other = await t.group();
  await t.ok('CreateDirectory', { GroupId: other, Name: 'elsewhere' });

  const r = await t.ok('DescribeDirectories', { GroupId: gid });
  shape(r, Object.assign({ Directories: 'array', RequestId: 'string' }, PAGE));
  assert.equal(r.TotalCount, 2, 'the whole tree of this space only');
  for (const d of r.Directories) shape(d, DIRECTORY);
  const [a, b] = r.Directories;
  assert.deepEqual([a.Id, a.Name, a.Description, a.GroupId, a.ParentId],
    [root.Id, '一楼', '大厅', gid, '']);
  assert.deepEqual([b.Id, b.Name, b.Description, b.ParentId],
    [child, '东区', '', root.Id]);
  assert.match(a.CreatedTime, TIME);

  const kids = await t.ok('DescribeDirectories', { GroupId: gid,
    ParentId: root.Id });
  assert.deepEqual(kids.Directories.map((d) => d.Id), [child]);
  assert.equal(kids.TotalCount, 1);
  const sorted = await t.ok('DescribeDirectories', { GroupId: gid,
    SortBy: 'name', SortDirection: 'desc' });
  assert.deepEqual(sorted.Directories.map((d) => d.Name), ['东区', '一楼']);
});

test('DescribeDirectories: pagination edges', async () => {
  const t = await tenant();
  const gid = await t.group();
  for (let i = 0; i < 3; i++) {
    await t.ok('CreateDirectory', { GroupId: gid, Name: 'd' + i });
  }
  let r = await t.ok('DescribeDirectories', { GroupId: gid, PageSize: 2,
    PageNum: 2 });
  assert.deepEqual(r.Directories.map((d) => d.Name), ['d2']);
  assert.equal(r.PageCount, 2);
  r = await t.ok('DescribeDirectories', { GroupId: gid, PageSize: 2,
    PageNum: 9 });
  assert.deepEqual(r.Directories, []);
  assert.equal(r.TotalCount, 3);
  assert.equal(r.PageCount, 2);
  for (const [name, value] of [['PageSize', 0], ['PageSize', 101],
    ['PageNum', 0], ['SortBy', 'parent'], ['SortDirection', 'sideways']]) {
    expectError(await t.raw('DescribeDirectories', { GroupId: gid,
      [name]: value }), 400, 'InvalidParameter', new RegExp(name));
  }
});

test('CreateDirectory / DescribeDirectories: parameter errors', async () => {
  const t = await tenant();
  const gid = await t.group();
  const dir = (await t.ok('CreateDirectory', { GroupId: gid, Name: 'd' })).Id;
  const other = await t.group();
  const stranger = await tenant();
  const theirGroup = await stranger.group();
  const theirDir = (await stranger.ok('CreateDirectory',
    { GroupId: theirGroup, Name: 'x' })).Id;

  const create = [
    [{ Name: 'n' }, 400, 'MissingParameter', /GroupId/],
    [{ GroupId: gid }, 400, 'MissingParameter', /Name/],
    [{ GroupId: gid, Name: '' }, 400, 'MissingParameter', /Name/],
    [{ GroupId: 'g1', Name: 'n' }, 400, 'InvalidParameter', /GroupId/],
    [{ GroupId: gid, Name: 'n', ParentId: '1x' }, 400, 'InvalidParameter',
      /ParentId/],
    [{ GroupId: gid, Name: 'n'.repeat(129) }, 400, 'InvalidParameter', /Name/],
    [{ GroupId: gid, Name: 'a\tb' }, 400, 'InvalidParameter', /Name/],
    [{ GroupId: F.newId(), Name: 'n' }, 404, 'InvalidGroup.NotFound'],
    [{ GroupId: theirGroup, Name: 'n' }, 404, 'InvalidGroup.NotFound'],
    [{ GroupId: gid, Name: 'n', ParentId: F.newId() }, 404,
      'InvalidDirectory.NotFound', /ParentId/],
    [{ GroupId: gid, Name: 'n', ParentId: theirDir }, 404,
      'InvalidDirectory.NotFound', /ParentId/],
    [{ GroupId: other, Name: 'n', ParentId: dir }, 400, 'InvalidParameter',
      /ParentId/],
  ];
  for (const [p, status, code, msg] of create) {
    expectError(await t.raw('CreateDirectory', p), status, code, msg);
  }
  const list = [
    [{}, 400, 'MissingParameter', /GroupId/],
    [{ GroupId: 'g1' }, 400, 'InvalidParameter', /GroupId/],
    [{ GroupId: gid, ParentId: 'p' }, 400, 'InvalidParameter', /ParentId/],
    [{ GroupId: F.newId() }, 404, 'InvalidGroup.NotFound'],
    [{ GroupId: theirGroup }, 404, 'InvalidGroup.NotFound'],
    [{ GroupId: gid, ParentId: F.newId() }, 404, 'InvalidDirectory.NotFound',
      /ParentId/],
    [{ GroupId: gid, ParentId: theirDir }, 404, 'InvalidDirectory.NotFound',
      /ParentId/],
    [{ GroupId: other, ParentId: dir }, 400, 'InvalidParameter', /ParentId/],
  ];
  for (const [p, status, code, msg] of list) {
    expectError(await t.raw('DescribeDirectories', p), status, code, msg);
  }
  assert.equal(count(`SELECT COUNT(*) FROM directories WHERE tenant_id =
    ${t.tenantId}`), 1, 'nothing created');
});

test('ModifyDirectory changes only the given fields', async () => {
  const t = await tenant();
  const gid = await t.group();
  const id = (await t.ok('CreateDirectory', { GroupId: gid, Name: 'a',
    Description: 'keep' })).Id;
  const get = async () => (await t.ok('DescribeDirectories', { GroupId: gid }))
    .Directories[0];
  const r = await t.ok('ModifyDirectory', { Id: id, Name: '二楼' });
  shape(r, { Id: 'string', RequestId: 'string' });
  assert.equal(r.Id, id);
  assert.deepEqual([(await get()).Name, (await get()).Description],
    ['二楼', 'keep']);
  await t.ok('ModifyDirectory', { Id: id, Description: '' });
  assert.deepEqual([(await get()).Name, (await get()).Description], ['二楼', '']);
  expectError(await t.raw('ModifyDirectory', { Id: id, Name: 'x'.repeat(129) }),
    400, 'InvalidParameter', /Name/);
  assert.equal((await get()).Name, '二楼');
});

test('DeleteDirectory: only an empty directory', async () => {
  const t = await tenant();
  const gid = await t.group();
  const parent = (await t.ok('CreateDirectory', { GroupId: gid, Name: 'p' })).Id;
  const child = (await t.ok('CreateDirectory', { GroupId: gid, Name: 'c',
    ParentId: parent })).Id;
  const dev = F.device(t, gid);
  L.sql(`UPDATE devices SET directory_id = ${child} WHERE id = ${dev}`);

  expectError(await t.raw('DeleteDirectory', { Id: parent }), 400,
    'InvalidParameter', /Id .*1 directories/);
  expectError(await t.raw('DeleteDirectory', { Id: child }), 400,
    'InvalidParameter', /Id .*1 devices/);
  L.sql(`UPDATE devices SET directory_id = NULL WHERE id = ${dev}`);
  let r = await t.ok('DeleteDirectory', { Id: child });
  shape(r, { Id: 'string', RequestId: 'string' });
  r = await t.ok('DeleteDirectory', { Id: parent });
  assert.equal((await t.ok('DescribeDirectories', { GroupId: gid })).TotalCount,
    0);
  expectError(await t.raw('DeleteDirectory', { Id: parent }), 404,
    'InvalidDirectory.NotFound');
});

for (const action of ['ModifyDirectory', 'DeleteDirectory']) {
  test(`${action}: missing, malformed, unknown and foreign Id`, async () => {
    const t = await tenant();
    const stranger = await tenant();
    const theirs = (await stranger.ok('CreateDirectory', {
      GroupId: await stranger.group(), Name: '他们的' })).Id;
    expectError(await t.raw(action, { Name: 'n' }), 400, 'MissingParameter',
      /Id/);
    expectError(await t.raw(action, { Id: '-1', Name: 'n' }), 400,
      'InvalidParameter', /Id/);
    expectError(await t.raw(action, { Id: F.newId(), Name: 'n' }), 404,
      'InvalidDirectory.NotFound');
    expectError(await t.raw(action, { Id: theirs, Name: 'n' }), 404,
      'InvalidDirectory.NotFound');
    const left = await stranger.ok('DescribeDirectories', {
      GroupId: L.sql(`SELECT group_id FROM directories WHERE id = ${theirs}`)
        .trim() });
    assert.deepEqual(left.Directories.map((d) => d.Name), ['他们的'],
      'the other tenant\'s directory is untouched');
  });
}
