// Devices (spec section 2, 设备操作接口): conformance of the eleven Actions
// through nginx with the vendor SDK and raw signed calls. Spaces, directories,
// channels and streams come straight from SQL (fixtures.js), so this section
// is tested on its own.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');
const F = require('./fixtures');

const ACCESS = JSON.stringify({ AccessKeyId: 'ak-dev', AccessKeySecret: 'sk-dev' });
const MISSING_ID = '1000000000000001';

let serial = 0;
// A GB28181 id: centre 34020000, industry 00, type (131 camera, 200
// platform), network digit, serial; unique in this process.
const gb = (type = '131') => '3402000000' + type + String(process.pid % 10) +
  String(++serial).padStart(6, '0').slice(-6);

// The SDK's replies have a null prototype: compare them as plain JSON.
const rq = async (c, action, params, opt) =>
  JSON.parse(JSON.stringify(await c.request(action, params, opt)));

// A tenant with a gb28181 space: { t, c, g }.
async function setup() {
  const t = await F.tenant();
  return { t, c: L.client(t.key), g: F.space(t) };
}

function createParams(g, o = {}) {
  return Object.assign({ GroupId: g, Type: 'ipc', GbId: gb(),
    Username: 'admin', Password: 'pw-' + serial }, o);
}

async function create(c, g, o = {}) {
  const r = await rq(c, 'CreateDevice', createParams(g, o), { method: 'POST' });
  return r.Id;
}

// A directory of a space (the directory Actions are another section's).
function directory(t, g, o = {}) {
  const id = F.newId();
  L.sql(`INSERT INTO directories (id, tenant_id, group_id, parent_id, name,
    description) VALUES (${id}, ${t.tenantId}, ${g}, ${o.ParentId || 'NULL'},
    ${F.q(o.Name || 'fixture directory')}, ${F.q(o.Description || '')})`);
  return id;
}

function bind(t, streamId) {
  L.sql(`INSERT INTO template_bindings (tenant_id, instance_type, instance_id,
    template_type, template_id) VALUES (${t.tenantId}, 'stream', ${streamId},
    'record', ${F.newId()})`);
}

const one = (q) => L.sql(q).trim();
const count = (q) => Number(one(q));
// what the API queued (the daemons of the stack under test run them)
const jobs = (t, kind) => L.sql(`SELECT target, payload FROM jobs
  WHERE tenant_id = ${t.tenantId} AND kind = '${kind}' ORDER BY target`)
  .split('\n').filter(Boolean).map((l) => l.split('\t'));

// Sends a signed call and checks its error: HTTP status, Code, and that the
// Message names the parameter.
async function fails(key, action, params, status, code, name) {
  const r = await L.call(action, params, { key, method: 'POST' });
  assert.equal(r.status, status, `${action} ${JSON.stringify(params)}: ${r.body}`);
  assert.equal(r.json.Code, code, r.body);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  if (name) assert.match(r.json.Message, new RegExp(`\\b${name}\\b`), r.body);
  return r.json;
}

function shape(o, schema, where) {
  for (const [k, type] of Object.entries(schema)) {
    assert.ok(k in o, `${where}: ${k} missing`);
    if (type === 'array') assert.ok(Array.isArray(o[k]), `${where}: ${k}`);
    else if (type === 'int') assert.ok(Number.isInteger(o[k]), `${where}: ${k}`);
    else assert.equal(typeof o[k], type, `${where}: ${k}`);
  }
}

const DEVICE = {
  Id: 'string', Name: 'string', Description: 'string', GroupId: 'string',
  ParentId: 'string', DirectoryId: 'string', Type: 'string',
  AutoStart: 'boolean', Enabled: 'boolean', Protocol: 'string',
  Status: 'string', GbId: 'string', Ip: 'string', Port: 'int',
  Username: 'string', Password: 'string', Vendor: 'string',
  Longitude: 'string', Latitude: 'string', AutoPos: 'boolean',
  PosInterval: 'int', AlarmMethod: 'string', CreatedTime: 'string',
  Params: 'string', Stats: 'object', Directory: 'object',
};
const STAT = { ChannelNum: 'int', StreamNum: 'int', OnlineNum: 'int',
  OfflineNum: 'int', FailedNum: 'int' };
const DIRECTORY = { Id: 'string', Name: 'string', Description: 'string',
  GroupId: 'string', ParentId: 'string', CreatedTime: 'string' };
const PAGE = { PageSize: 'int', PageNum: 'int', PageCount: 'int',
  TotalCount: 'int', Devices: 'array', RequestId: 'string' };
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function checkDevice(d, where) {
  shape(d, DEVICE, where);
  shape(d.Stats, STAT, where + '.Stats');
  assert.match(d.Id, /^\d{16}$/);
  assert.match(d.CreatedTime, TIME);
  assert.equal(d.Protocol, 'gb28181');
}

// ---------------------------------------------------------------- CreateDevice

test('CreateDevice + DescribeDevice: every field round-trips with its type', async () => {
  const { t, c, g } = await setup();
  const parent = await create(c, g, { Type: 'platform', GbId: gb('200') });
  const dir = directory(t, g, { Name: '目录一', Description: '东门' });
  const gbId = gb();
  const r = await rq(c, 'CreateDevice', createParams(g, {
    Name: '徐家汇路口摄像头', Description: '东北角 (north-east)', ParentId: parent,
    DirectoryId: dir, GbId: gbId, AutoStart: true, Ip: '2.2.2.2', Port: 8080,
    Username: '管理员', Password: '口令 p@ss', Vendor: 'dahua',
    Longitude: '+121.4370', Latitude: '031.19', AutoPos: true, PosInterval: 60,
    AlarmMethod: '7,5', Params: '{"k":"值"}' }), { method: 'POST' });
  assert.deepEqual(Object.keys(r).sort(), ['Id', 'RequestId']);
  assert.match(r.Id, /^\d{16}$/);
  const { channelId, streamId } = F.channel(t, g, r.Id, { StreamStatus: 'on' });
  F.channel(t, g, r.Id);
  assert.ok(channelId > 0 && streamId);

  const d = await rq(c, 'DescribeDevice', { Id: r.Id, IncludeStats: true,
    IncludeDirectory: true });
  checkDevice(d, 'DescribeDevice');
  assert.match(d.RequestId, L.REQUEST_ID);
  assert.deepEqual({ ...d, RequestId: undefined, CreatedTime: undefined }, {
    Id: r.Id, Name: '徐家汇路口摄像头', Description: '东北角 (north-east)',
    GroupId: g, ParentId: parent, DirectoryId: dir, Type: 'ipc',
    AutoStart: true, Enabled: true, Protocol: 'gb28181', Status: 'new',
    GbId: gbId, Ip: '2.2.2.2', Port: 8080, Username: '管理员',
    Password: '口令 p@ss', Vendor: 'dahua', Longitude: '121.4370',
    Latitude: '31.19', AutoPos: true, PosInterval: 60, AlarmMethod: '5,7',
    Params: '{"k":"值"}',
    Stats: { ChannelNum: 2, StreamNum: 2, OnlineNum: 1, OfflineNum: 1, FailedNum: 0 },
    Directory: d.Directory, RequestId: undefined, CreatedTime: undefined });
  shape(d.Directory, DIRECTORY, 'Directory');
  assert.equal(d.Directory.Id, dir);
  assert.equal(d.Directory.Name, '目录一');
  assert.equal(d.Directory.Description, '东门');
  assert.equal(d.Directory.GroupId, g);
  assert.equal(d.Directory.ParentId, '');
  assert.match(d.Directory.CreatedTime, TIME);

  // the password is sealed at rest, bound to the device id
  const hex = one(`SELECT HEX(password_enc) FROM devices WHERE id = ${r.Id}`);
  assert.ok(!Buffer.from(hex, 'hex').toString('utf8').includes('p@ss'));
  L.sql(`UPDATE devices SET password_enc = (SELECT password_enc FROM
    (SELECT password_enc FROM devices WHERE id = ${r.Id}) x) WHERE id = ${parent}`);
  const moved = await rq(c, 'DescribeDevice', { Id: parent });
  assert.equal(moved.Password, '', 'a sealed value moved to another row must not open');
});

test('CreateDevice: defaults, and no Stats/Directory unless asked', async () => {
  const { c, g } = await setup();
  const id = await create(c, g);
  const d = await rq(c, 'DescribeDevice', { Id: id }, { method: 'GET' });
  for (const k of ['Stats', 'Directory']) assert.ok(!(k in d), k);
  assert.equal(d.Name, '');
  assert.equal(d.ParentId, '');
  assert.equal(d.DirectoryId, '');
  assert.equal(d.AutoStart, false);
  assert.equal(d.AutoPos, false);
  assert.equal(d.Port, 0);
  assert.equal(d.PosInterval, 300);
  assert.equal(d.AlarmMethod, '');
  assert.equal(d.Params, '{}');
  assert.equal(d.Status, 'new');
  const e = await rq(c, 'DescribeDevice', { Id: id, IncludeDirectory: true });
  assert.deepEqual(e.Directory, {});
});

test('CreateDevice: each required parameter missing -> MissingParameter', async () => {
  const { t, g } = await setup();
  for (const name of ['GroupId', 'Type', 'GbId', 'Username', 'Password']) {
    for (const v of [undefined, '']) {
      await fails(t.key, 'CreateDevice', createParams(g, { [name]: v }), 400,
        'MissingParameter', name);
    }
  }
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE tenant_id = ${t.tenantId}`), 0);
});

test('CreateDevice: malformed values -> InvalidParameter naming them, nothing created', async () => {
  const { t, g } = await setup();
  const bad = [
    ['Type', 'nvr'], ['Type', 'IPC'], ['GbId', '3402000000132000000'],
    ['GbId', '340200000013200000011'], ['GbId', '3402000000132000000a'],
    ['GroupId', 'abc'], ['ParentId', '12x'], ['DirectoryId', '-1'],
    ['Port', '65536'], ['Port', '-1'], ['Port', '80a'],
    ['PosInterval', '0'], ['PosInterval', '-300'], ['PosInterval', '1.5'],
    ['Longitude', '180.01'], ['Longitude', '-181'], ['Longitude', 'east'],
    ['Longitude', '1e2'], ['Longitude', '12.'], ['Longitude', '.5'],
    ['Longitude', '12,5'], ['Longitude', '180.0000000000000000001'],
    ['Longitude', '-'], ['Longitude', '+-1'], ['Latitude', '90.5'], ['Latitude', '-91'],
    ['Latitude', ' 30'], ['AlarmMethod', '1'], ['AlarmMethod', '5,5'],
    ['AlarmMethod', '0,'], ['AlarmMethod', 'all'], ['Params', 'not json'],
    ['Params', '[1,2]'], ['Params', '"s"'], ['AutoStart', 'yes'],
    ['AutoPos', '1'], ['Ip', '256.1.1.1'], ['Ip', 'camera.local'],
    ['Name', 'x'.repeat(129)], ['Description', 'd'.repeat(1025)],
    ['Password', 'p'.repeat(65)], ['Username', 'u'.repeat(129)],
  ];
  for (const [name, value] of bad) {
    await fails(t.key, 'CreateDevice', createParams(g, { [name]: value }), 400,
      'InvalidParameter', name);
  }
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE tenant_id = ${t.tenantId}`), 0);
});

test('CreateDevice: edge values accepted and normalised', async () => {
  const { c, g } = await setup();
  const cases = [
    [{ Longitude: '-180', Latitude: '90' }, { Longitude: '-180', Latitude: '90' }],
    [{ Longitude: '180.000', Latitude: '-90.0' }, { Longitude: '180.000', Latitude: '-90.0' }],
    [{ Longitude: '-0.00', Latitude: '007' }, { Longitude: '0.00', Latitude: '7' }],
    [{ Longitude: '0180', Latitude: '+0' }, { Longitude: '180', Latitude: '0' }],
    [{ Longitude: '-000.50', Latitude: '-89.999999' }, { Longitude: '-0.50', Latitude: '-89.999999' }],
    [{ Port: 0, PosInterval: 1, AlarmMethod: '0' }, { Port: 0, PosInterval: 1, AlarmMethod: '0' }],
    [{ Port: 65535, AlarmMethod: '7,5,0' }, { Port: 65535, AlarmMethod: '0,5,7' }],
    [{ Ip: '2001:db8::1', Type: 'ied' }, { Ip: '2001:db8::1', Type: 'ied' }],
  ];
  for (const [given, want] of cases) {
    const id = await create(c, g, given);
    const d = await rq(c, 'DescribeDevice', { Id: id });
    for (const [k, v] of Object.entries(want)) assert.equal(d[k], v, `${JSON.stringify(given)} ${k}`);
  }
});

test('CreateDevice: GroupId, ParentId, DirectoryId must be the tenant\'s, in the group', async () => {
  const { t, c, g } = await setup();
  const other = await setup();
  const g2 = F.space(t);
  const rtmp = F.space(t, { InProtocol: 'rtmp' });
  const foreignParent = await create(c, g2);
  const foreignDir = directory(t, g2);
  const theirDir = directory(other.t, other.g);
  const theirParent = await create(other.c, other.g);

  const a = await fails(t.key, 'CreateDevice', createParams(MISSING_ID), 404,
    'InvalidGroup.NotFound');
  const b = await fails(t.key, 'CreateDevice', createParams(other.g), 404,
    'InvalidGroup.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(other.g, 'X'),
    'another tenant\'s space answers like a missing one');
  await fails(t.key, 'CreateDevice', createParams(rtmp), 400, 'InvalidParameter', 'GroupId');
  for (const p of [foreignParent, theirParent, MISSING_ID]) {
    await fails(t.key, 'CreateDevice', createParams(g, { ParentId: p }), 400,
      'InvalidParameter', 'ParentId');
  }
  for (const d of [foreignDir, theirDir, MISSING_ID]) {
    await fails(t.key, 'CreateDevice', createParams(g, { DirectoryId: d }), 400,
      'InvalidParameter', 'DirectoryId');
  }
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE group_id = ${g}`), 0);
});

test('CreateDevice: GbId unique per group, never the space\'s own', async () => {
  const { t, c, g } = await setup();
  const g2 = F.space(t);
  const id = gb();
  await create(c, g, { GbId: id });
  const e = await fails(t.key, 'CreateDevice', createParams(g, { GbId: id }), 400,
    'InvalidParameter', 'GbId');
  assert.match(e.Message, /already exists/);
  assert.ok(await create(c, g2, { GbId: id }), 'the same GbId in another group');
  const spaceGb = one(`SELECT gb_id FROM spaces WHERE id = ${g}`);
  await fails(t.key, 'CreateDevice', createParams(g, { GbId: spaceGb }), 400,
    'InvalidParameter', 'GbId');
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE group_id = ${g}`), 1);
});

// -------------------------------------------------------------- DescribeDevice

test('DescribeDevice: missing, malformed, unknown and foreign ids', async () => {
  const { t } = await setup();
  const other = await setup();
  const theirs = await create(other.c, other.g);
  await fails(t.key, 'DescribeDevice', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'DescribeDevice', { Id: 'abc' }, 400, 'InvalidParameter', 'Id');
  await fails(t.key, 'DescribeDevice', { Id: '1'.repeat(21) }, 400, 'InvalidParameter', 'Id');
  for (const [k, v] of [['IncludeStats', 'yes'], ['IncludeDirectory', '1']]) {
    await fails(t.key, 'DescribeDevice', { Id: theirs, [k]: v }, 400, 'InvalidParameter', k);
  }
  const a = await fails(t.key, 'DescribeDevice', { Id: MISSING_ID }, 404,
    'InvalidDevice.NotFound');
  const b = await fails(t.key, 'DescribeDevice', { Id: theirs }, 404,
    'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  // the owner still sees it
  assert.equal((await rq(other.c, 'DescribeDevice', { Id: theirs })).Id, theirs);
});

// ------------------------------------------------------------- DescribeDevices

test('DescribeDevices: every field, filters, Chinese names, stats and directory', async () => {
  const { t, c, g } = await setup();
  const dir = directory(t, g, { Name: '一号目录' });
  const plat = await create(c, g, { Type: 'platform', Name: '上级平台', GbId: gb('200') });
  const cam = await create(c, g, { Name: '南京路摄像头', ParentId: plat, DirectoryId: dir });
  const cam2 = await create(c, g, { Name: 'Camera 100%_x', ParentId: plat });
  const ied = await create(c, g, { Type: 'ied', Name: '门禁' });
  F.channel(t, g, cam, { StreamStatus: 'on' });
  L.sql(`UPDATE devices SET status = 'on' WHERE id = ${cam}`);
  L.sql(`UPDATE devices SET status = 'failed' WHERE id = ${ied}`);
  // another group of the tenant and another tenant are never listed
  await create(c, F.space(t), { Name: '南京路摄像头' });

  const r = await rq(c, 'DescribeDevices', { GroupId: g, IncludeStats: true,
    IncludeDirectory: true });
  shape(r, PAGE, 'DescribeDevices');
  assert.equal(r.TotalCount, 4);
  assert.equal(r.PageCount, 1);
  assert.equal(r.PageSize, 20);
  assert.equal(r.PageNum, 1);
  assert.deepEqual(r.Devices.map((d) => d.Id), [plat, cam, cam2, ied], 'default: by id');
  for (const d of r.Devices) checkDevice(d, 'Devices[]');
  const d = r.Devices[1];
  assert.equal(d.Name, '南京路摄像头');
  assert.equal(d.Status, 'on');
  assert.deepEqual(d.Stats, { ChannelNum: 1, StreamNum: 1, OnlineNum: 1,
    OfflineNum: 0, FailedNum: 0 });
  shape(d.Directory, DIRECTORY, 'Directory');
  assert.equal(d.Directory.Name, '一号目录');
  assert.deepEqual(r.Devices[0].Directory, {});

  const ids = async (p) => (await rq(c, 'DescribeDevices',
    Object.assign({ GroupId: g }, p))).Devices.map((x) => x.Id);
  assert.deepEqual(await ids({ Name: '南京' }), [cam], 'Name: a substring');
  assert.deepEqual(await ids({ Name: 'camera 100%' }), [cam2], 'case-insensitive, % literal');
  assert.deepEqual(await ids({ Name: '%' }), [cam2]);
  assert.deepEqual(await ids({ Name: '_' }), [cam2]);
  assert.deepEqual(await ids({ Name: '' }), [plat, cam, cam2, ied], 'empty filter = none');
  assert.deepEqual(await ids({ ParentId: plat }), [cam, cam2]);
  assert.deepEqual(await ids({ Type: 'platform' }), [plat]);
  assert.deepEqual(await ids({ Status: 'failed' }), [ied]);
  assert.deepEqual(await ids({ Status: 'new', Type: 'ipc' }), [cam2]);
  const camGb = (await rq(c, 'DescribeDevice', { Id: cam })).GbId;
  assert.deepEqual(await ids({ GbId: camGb }), [cam]);
  assert.deepEqual(await ids({ GbId: gb() }), []);
  assert.deepEqual(await ids({ SortDirection: 'desc' }), [ied, cam2, cam, plat]);
  assert.deepEqual(await ids({ SortBy: 'name' }), [cam2, plat, cam, ied]);
  assert.deepEqual(await ids({ SortBy: 'status' }), [ied, plat, cam2, cam]);
  assert.deepEqual(await ids({ SortBy: 'createdTime', SortDirection: 'desc' }),
    [ied, cam2, cam, plat]);
  const byGb = (await rq(c, 'DescribeDevices', { GroupId: g, SortBy: 'gbId' }))
    .Devices.map((x) => x.GbId);
  assert.deepEqual(byGb, [...byGb].sort());
  // without the flags: no Stats, no Directory
  const plain = await rq(c, 'DescribeDevices', { GroupId: g });
  assert.ok(plain.Devices.every((x) => !('Stats' in x) && !('Directory' in x)));
});

test('DescribeDevices: pagination edges', async () => {
  const { t, c, g } = await setup();
  const all = [];
  for (let i = 0; i < 5; i++) all.push(await create(c, g, { Name: `设备${i}` }));
  const page = (p) => rq(c, 'DescribeDevices', Object.assign({ GroupId: g }, p));
  let r = await page({ PageSize: 2, PageNum: 3 });
  assert.deepEqual([r.PageSize, r.PageNum, r.PageCount, r.TotalCount], [2, 3, 3, 5]);
  assert.deepEqual(r.Devices.map((d) => d.Id), [all[4]]);
  r = await page({ PageSize: 2, PageNum: 2 });
  assert.deepEqual(r.Devices.map((d) => d.Id), [all[2], all[3]]);
  r = await page({ PageSize: 2, PageNum: 4 });
  assert.deepEqual([r.Devices.length, r.TotalCount, r.PageCount], [0, 5, 3]);
  r = await page({ PageSize: 100, PageNum: 1 });
  assert.equal(r.Devices.length, 5);
  r = await page({ PageSize: 1 });
  assert.deepEqual([r.Devices.length, r.PageCount], [1, 5]);
  // an empty group
  r = await rq(c, 'DescribeDevices', { GroupId: F.space(t) });
  assert.deepEqual([r.Devices.length, r.TotalCount, r.PageCount], [0, 0, 0]);
  for (const [k, v] of [['PageSize', 0], ['PageSize', 101], ['PageSize', 'x'],
    ['PageNum', 0], ['PageNum', -1]]) {
    await fails(t.key, 'DescribeDevices', { GroupId: g, [k]: v }, 400, 'InvalidParameter', k);
  }
});

test('DescribeDevices: missing, bad and foreign parameters', async () => {
  const { t, g } = await setup();
  const other = await setup();
  await fails(t.key, 'DescribeDevices', {}, 400, 'MissingParameter', 'GroupId');
  for (const [k, v] of [['GroupId', 'g1'], ['Type', 'nvr'], ['Status', 'online'],
    ['SortBy', 'password'], ['SortBy', 'id;DROP'], ['SortDirection', 'up'],
    ['GbId', '123'], ['ParentId', 'p'], ['IncludeStats', 'TRUE'],
    ['IncludeDirectory', 'no']]) {
    await fails(t.key, 'DescribeDevices', { GroupId: g, [k]: v }, 400,
      'InvalidParameter', k);
  }
  const a = await fails(t.key, 'DescribeDevices', { GroupId: MISSING_ID }, 404,
    'InvalidGroup.NotFound');
  const b = await fails(t.key, 'DescribeDevices', { GroupId: other.g }, 404,
    'InvalidGroup.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(other.g, 'X'));
});

// ---------------------------------------------------------------- ModifyDevice

test('ModifyDevice: changes only the given fields, clears the clearable', async () => {
  const { t, c, g } = await setup();
  const dir = directory(t, g);
  const id = await create(c, g, { Name: '旧名', Description: 'old', Vendor: 'hik',
    AlarmMethod: '5', Longitude: '10.5', Ip: '1.1.1.1', Port: 5060, DirectoryId: dir });
  const before = await rq(c, 'DescribeDevice', { Id: id });
  const r = await rq(c, 'ModifyDevice', { Id: id, GroupId: g, Name: '新名字',
    Port: 5061, AutoStart: true, Password: '新口令', Latitude: '+30.10',
    Params: '{"a":1}' }, { method: 'POST' });
  assert.deepEqual(Object.keys(r).sort(), ['Id', 'RequestId']);
  assert.equal(r.Id, id);
  const after = await rq(c, 'DescribeDevice', { Id: id });
  assert.deepEqual(after, Object.assign({}, before, { Name: '新名字', Port: 5061,
    AutoStart: true, Password: '新口令', Latitude: '30.10', Params: '{"a":1}',
    RequestId: after.RequestId }));

  // given empty: cleared (AlarmMethod '' = no subscription, no directory)
  await rq(c, 'ModifyDevice', { Id: id, GroupId: g, Description: '',
    AlarmMethod: '', DirectoryId: '', Longitude: '', Ip: '', Params: '' });
  const cleared = await rq(c, 'DescribeDevice', { Id: id });
  for (const k of ['Description', 'AlarmMethod', 'DirectoryId', 'Longitude', 'Ip']) {
    assert.equal(cleared[k], '', k);
  }
  assert.equal(cleared.Params, '{}');
  assert.equal(cleared.Vendor, 'hik', 'not given: kept');
  // given empty, a field that cannot be empty is kept
  await rq(c, 'ModifyDevice', { Id: id, GroupId: g, Type: '', Port: '',
    Password: '', GbId: '' });
  const kept = await rq(c, 'DescribeDevice', { Id: id });
  assert.deepEqual([kept.Type, kept.Port, kept.Password, kept.GbId],
    ['ipc', 5061, '新口令', before.GbId]);
  // every other field
  const gbId = gb();
  await rq(c, 'ModifyDevice', { Id: id, GroupId: g, Type: 'ied', GbId: gbId,
    DirectoryId: dir, Username: 'root', Vendor: 'uniview', AutoPos: true,
    PosInterval: 30, AlarmMethod: '0,7', Description: '描述' });
  const all = await rq(c, 'DescribeDevice', { Id: id });
  assert.deepEqual([all.Type, all.GbId, all.DirectoryId, all.Username, all.Vendor,
    all.AutoPos, all.PosInterval, all.AlarmMethod, all.Description],
  ['ied', gbId, dir, 'root', 'uniview', true, 30, '0,7', '描述']);
  const hex = one(`SELECT HEX(password_enc) FROM devices WHERE id = ${id}`);
  assert.ok(!Buffer.from(hex, 'hex').toString('utf8').includes('新口令'));
});

test('ModifyDevice: bad input changes nothing', async () => {
  const { t, c, g } = await setup();
  const other = await setup();
  const g2 = F.space(t);
  const id = await create(c, g, { Name: 'keep' });
  const taken = (await rq(c, 'DescribeDevice', { Id: await create(c, g) })).GbId;
  const before = await rq(c, 'DescribeDevice', { Id: id });
  for (const name of ['Id', 'GroupId']) {
    await fails(t.key, 'ModifyDevice', { Id: id, GroupId: g, Name: 'x', [name]: undefined },
      400, 'MissingParameter', name);
  }
  for (const [k, v] of [['Id', 'x'], ['GroupId', '1.5'], ['Type', 'nvr'],
    ['GbId', '12'], ['Port', 70000], ['PosInterval', 0], ['Longitude', '200'],
    ['Latitude', 'north'], ['AlarmMethod', '3'], ['Params', '{'],
    ['AutoStart', 'on'], ['AutoPos', 'off'], ['Ip', '1.2.3'],
    ['DirectoryId', directory(t, g2)], ['DirectoryId', directory(other.t, other.g)],
    ['Name', 'n'.repeat(129)]]) {
    await fails(t.key, 'ModifyDevice', { Id: id, GroupId: g, Name: 'changed', [k]: v },
      400, 'InvalidParameter', k);
  }
  const dup = await fails(t.key, 'ModifyDevice', { Id: id, GroupId: g, Name: 'changed',
    GbId: taken }, 400, 'InvalidParameter', 'GbId');
  assert.match(dup.Message, /already exists/);
  const theirs = await create(other.c, other.g);
  const a = await fails(t.key, 'ModifyDevice', { Id: MISSING_ID, GroupId: g, Name: 'x' },
    404, 'InvalidDevice.NotFound');
  const b = await fails(t.key, 'ModifyDevice', { Id: theirs, GroupId: g, Name: 'x' },
    404, 'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  await fails(t.key, 'ModifyDevice', { Id: id, GroupId: g2, Name: 'x' }, 404,
    'InvalidDevice.NotFound');
  await fails(t.key, 'ModifyDevice', { Id: theirs, GroupId: other.g, Name: 'x' }, 404,
    'InvalidGroup.NotFound');
  await fails(t.key, 'ModifyDevice', { Id: id, GroupId: MISSING_ID, Name: 'x' }, 404,
    'InvalidGroup.NotFound');
  const after = await rq(c, 'DescribeDevice', { Id: id });
  assert.deepEqual(after, Object.assign({}, before, { RequestId: after.RequestId }));
  assert.equal((await rq(other.c, 'DescribeDevice', { Id: theirs })).Name, '');
});

// ------------------------------------------------------- DeleteDevice, Batch

test('DeleteDevice: removes channels, streams and bindings; refuses a live device', async () => {
  const { t, c, g } = await setup();
  const plat = await create(c, g, { Type: 'platform', GbId: gb('200') });
  const id = await create(c, g, { ParentId: plat });
  const live = await create(c, g);
  const { streamId } = F.channel(t, g, id);
  F.channel(t, g, id);
  bind(t, streamId);
  const liveStream = F.channel(t, g, live, { StreamStatus: 'on' }).streamId;
  bind(t, liveStream);

  const r = await rq(c, 'DeleteDevice', { Id: id });
  assert.deepEqual(Object.keys(r), ['RequestId']);
  for (const q of [`SELECT COUNT(*) FROM devices WHERE id = ${id}`,
    `SELECT COUNT(*) FROM channels WHERE device_id = ${id}`,
    `SELECT COUNT(*) FROM streams WHERE device_id = ${id}`,
    `SELECT COUNT(*) FROM template_bindings WHERE instance_id = ${streamId}`]) {
    assert.equal(count(q), 0, q);
  }
  await fails(t.key, 'DescribeDevice', { Id: id }, 404, 'InvalidDevice.NotFound');

  await fails(t.key, 'DeleteDevice', { Id: live }, 409, 'IncorrectDeviceStatus');
  assert.equal(count(`SELECT COUNT(*) FROM streams WHERE device_id = ${live}`), 1);
  assert.equal(count(`SELECT COUNT(*) FROM template_bindings WHERE instance_id = ${liveStream}`), 1);
  // a platform's cameras stay, without a parent
  const child = await create(c, g, { ParentId: plat });
  await rq(c, 'DeleteDevice', { Id: plat });
  assert.equal((await rq(c, 'DescribeDevice', { Id: child })).ParentId, '');
});

test('DeleteDevice: missing, malformed, unknown and foreign ids', async () => {
  const { t } = await setup();
  const other = await setup();
  const theirs = await create(other.c, other.g);
  await fails(t.key, 'DeleteDevice', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'DeleteDevice', { Id: '12a' }, 400, 'InvalidParameter', 'Id');
  const a = await fails(t.key, 'DeleteDevice', { Id: MISSING_ID }, 404, 'InvalidDevice.NotFound');
  const b = await fails(t.key, 'DeleteDevice', { Id: theirs }, 404, 'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE id = ${theirs}`), 1);
});

test('BatchDeleteDevices: one result per id, each with its own Error', async () => {
  const { t, c, g } = await setup();
  const other = await setup();
  const a = await create(c, g);
  const b = await create(c, g);
  const live = await create(c, g);
  F.channel(t, g, live, { StreamStatus: 'on' });
  F.channel(t, g, b);
  const theirs = await create(other.c, other.g);
  const ids = [a, live, MISSING_ID, theirs, 'bad', b];
  const r = await rq(c, 'BatchDeleteDevices', { Id: ids.join(',') });
  assert.deepEqual(r.Results.map((x) => x.Id), ids);
  const errs = r.Results.map((x) => x.Error);
  assert.equal(errs[0], undefined);
  assert.equal(errs[5], undefined);
  assert.match(errs[1], /live stream/);
  assert.match(errs[2], /does not exist/);
  assert.equal(errs[3].replace(theirs, 'X'), errs[2].replace(MISSING_ID, 'X'));
  assert.match(errs[4], /malformed/);
  for (const x of r.Results) {
    if (x.Error !== undefined) assert.equal(typeof x.Error, 'string');
    assert.ok(!('Streams' in x));
  }
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE id IN (${a}, ${b})`), 0);
  assert.equal(count(`SELECT COUNT(*) FROM streams WHERE device_id = ${b}`), 0);
  assert.equal(count(`SELECT COUNT(*) FROM devices WHERE id IN (${live}, ${theirs})`), 2);

  await fails(t.key, 'BatchDeleteDevices', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'BatchDeleteDevices', { Id: `${live},,${live}` }, 400,
    'InvalidParameter', 'Id');
  const many = Array.from({ length: 101 }, () => live).join(',');
  await fails(t.key, 'BatchDeleteDevices', { Id: many }, 400, 'InvalidParameter', 'Id');
});

// -------------------------------------------------------------- Start / Stop

// A device with a live stream, an idle one and a forbidden one.
async function streaming(s) {
  const { t, c, g } = s;
  const id = await create(c, g);
  const on = F.channel(t, g, id, { StreamStatus: 'on' }).streamId;
  const off = F.channel(t, g, id).streamId;
  const forbidden = F.stream(t, g, { DeviceId: id, Enabled: false });
  return { id, on, off, forbidden };
}

const state = (table, id) => L.sql(`SELECT status, desired FROM ${table}
  WHERE id = ${id}`).trim().split('\t');

test('StartDevice: desired state, sealed AccessInfo and one job per stream', async () => {
  const s = await setup();
  const { t, c } = s;
  const { id, on, off, forbidden } = await streaming(s);
  const r = await rq(c, 'StartDevice', { Id: id, AccessInfo: ACCESS }, { method: 'POST' });
  assert.deepEqual(Object.keys(r).sort(), ['Id', 'RequestId']);
  assert.equal(r.Id, id);
  assert.deepEqual(state('devices', id), ['new', 'started'], 'status untouched');
  // the status is the media plane's (mediad turns a stream without media off)
  assert.equal(state('streams', on)[1], 'started');
  assert.equal(state('streams', off)[1], 'started');
  assert.deepEqual(state('streams', forbidden), ['off', 'stopped'], 'forbidden: not started');
  const payload = JSON.stringify({ device: id });
  assert.deepEqual(jobs(t, 'stream.start'), [[on, payload], [off, payload]].sort());
  for (const sid of [on, off]) {
    const hex = one(`SELECT HEX(access_info_enc) FROM streams WHERE id = ${sid}`);
    assert.ok(hex.length > 0);
    assert.ok(!Buffer.from(hex, 'hex').toString('utf8').includes('sk-dev'));
    // AccessInfo's own label, not the push token's (issue 10)
    assert.equal(L.vault.open(hex, `access_info:${sid}`), ACCESS);
    assert.equal(L.vault.open(hex, sid), null);
  }
  assert.equal(one(`SELECT access_info_enc IS NULL FROM streams WHERE id = ${forbidden}`), '1');
  // a device without streams yet: its desired state waits for its channels
  const bare = await create(c, s.g);
  await rq(c, 'StartDevice', { Id: bare, AccessInfo: ACCESS });
  assert.deepEqual(state('devices', bare), ['new', 'started']);
});

test('StartDevice: refused for a halted space, a locked device, bad input', async () => {
  const s = await setup();
  const { t, c, g } = s;
  const other = await setup();
  const halted = F.space(t, { Enabled: false });
  const inHalted = await create(c, halted);
  F.channel(t, halted, inHalted);
  const locked = await create(c, g);
  F.channel(t, g, locked);
  L.sql(`UPDATE devices SET status = 'failed' WHERE id = ${locked}`);
  const theirs = await create(other.c, other.g);
  F.channel(other.t, other.g, theirs);

  await fails(t.key, 'StartDevice', { Id: inHalted, AccessInfo: ACCESS }, 409,
    'IncorrectGroupStatus');
  await fails(t.key, 'StartDevice', { Id: locked, AccessInfo: ACCESS }, 409,
    'IncorrectDeviceStatus');
  for (const name of ['Id', 'AccessInfo']) {
    await fails(t.key, 'StartDevice', { Id: locked, AccessInfo: ACCESS, [name]: '' }, 400,
      'MissingParameter', name);
  }
  for (const [k, v] of [['Id', 'x1'], ['AccessInfo', 'not json'],
    ['AccessInfo', '["AccessKeyId"]'], ['AccessInfo', '{"AccessKeyId":"a"}'],
    ['AccessInfo', '{"AccessKeyId":"a","AccessKeySecret":""}'],
    ['AccessInfo', '{"AccessKeyId":1,"AccessKeySecret":"b"}']]) {
    await fails(t.key, 'StartDevice', { Id: inHalted, AccessInfo: ACCESS, [k]: v }, 400,
      'InvalidParameter', k);
  }
  const a = await fails(t.key, 'StartDevice', { Id: MISSING_ID, AccessInfo: ACCESS }, 404,
    'InvalidDevice.NotFound');
  const b = await fails(t.key, 'StartDevice', { Id: theirs, AccessInfo: ACCESS }, 404,
    'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  assert.deepEqual(jobs(t, 'stream.start'), []);
  assert.deepEqual(jobs(other.t, 'stream.start'), []);
  for (const d of [inHalted, locked, theirs]) assert.equal(state('devices', d)[1], 'stopped');
});

test('StopDevice: desired stopped and one job per stream, status untouched', async () => {
  const s = await setup();
  const { t, c } = s;
  const other = await setup();
  const { id, on, off, forbidden } = await streaming(s);
  await rq(c, 'StartDevice', { Id: id, AccessInfo: ACCESS });
  const r = await rq(c, 'StopDevice', { Id: id });
  assert.deepEqual(Object.keys(r).sort(), ['Id', 'RequestId']);
  assert.equal(r.Id, id);
  assert.deepEqual(state('devices', id), ['new', 'stopped']);
  assert.equal(state('streams', on)[1], 'stopped', 'the daemon turns it off');
  assert.equal(state('streams', off)[1], 'stopped');
  const payload = JSON.stringify({ device: id });
  assert.deepEqual(jobs(t, 'stream.stop'), [[on, payload], [off, payload],
    [forbidden, payload]].sort());

  const theirs = await create(other.c, other.g);
  await fails(t.key, 'StopDevice', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'StopDevice', { Id: '-5' }, 400, 'InvalidParameter', 'Id');
  const a = await fails(t.key, 'StopDevice', { Id: MISSING_ID }, 404, 'InvalidDevice.NotFound');
  const b = await fails(t.key, 'StopDevice', { Id: theirs }, 404, 'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  const halted = F.space(t, { Enabled: false });
  await fails(t.key, 'StopDevice', { Id: await create(c, halted) }, 409, 'IncorrectGroupStatus');
  const locked = await create(c, s.g);
  L.sql(`UPDATE devices SET status = 'failed' WHERE id = ${locked}`);
  await fails(t.key, 'StopDevice', { Id: locked }, 409, 'IncorrectDeviceStatus');
  assert.equal(jobs(t, 'stream.stop').length, 3);
});

test('BatchStartDevices / BatchStopDevices: Results with Streams, errors per item', async () => {
  const s = await setup();
  const { t, c, g } = s;
  const other = await setup();
  const d1 = await streaming(s);
  const d2 = await create(c, g);
  const d2s = F.channel(t, g, d2).streamId;
  const locked = await create(c, g);
  L.sql(`UPDATE devices SET status = 'failed' WHERE id = ${locked}`);
  const theirs = await create(other.c, other.g);
  const ids = [d1.id, MISSING_ID, locked, theirs, 'x', d2];

  const r = await rq(c, 'BatchStartDevices', { Id: ids.join(','), AccessInfo: ACCESS },
    { method: 'POST' });
  assert.deepEqual(r.Results.map((x) => x.Id), ids);
  for (const x of r.Results) {
    assert.ok(Array.isArray(x.Streams), 'Streams is always an array');
    for (const st of x.Streams) assert.equal(typeof st.Id, 'string');
  }
  const [a, missing, lk, foreign, bad, b] = r.Results;
  assert.equal(a.Error, undefined);
  assert.deepEqual(a.Streams.map((x) => x.Id).sort(), [d1.on, d1.off, d1.forbidden].sort());
  const forb = a.Streams.find((x) => x.Id === d1.forbidden);
  assert.match(forb.Error, /forbidden/);
  assert.ok(a.Streams.filter((x) => x.Id !== d1.forbidden).every((x) => !('Error' in x)));
  assert.deepEqual(b, { Id: d2, Streams: [{ Id: d2s }] });
  assert.match(missing.Error, /does not exist/);
  assert.equal(foreign.Error.replace(theirs, 'X'), missing.Error.replace(MISSING_ID, 'X'));
  assert.match(lk.Error, /locked/);
  assert.match(bad.Error, /malformed/);
  for (const x of [missing, lk, foreign, bad]) assert.deepEqual(x.Streams, []);
  assert.deepEqual(jobs(t, 'stream.start').map((j) => j[0]), [d1.on, d1.off, d2s].sort());
  assert.deepEqual(state('devices', d2), ['new', 'started']);
  assert.deepEqual(state('devices', locked), ['failed', 'stopped']);

  const q = await rq(c, 'BatchStopDevices', { Id: [d2, MISSING_ID].join(',') });
  assert.deepEqual(q.Results[0], { Id: d2, Streams: [{ Id: d2s }] });
  assert.match(q.Results[1].Error, /does not exist/);
  assert.deepEqual(q.Results[1].Streams, []);
  assert.deepEqual(state('streams', d2s), ['off', 'stopped']);
  assert.deepEqual(jobs(t, 'stream.stop').map((j) => j[0]), [d2s]);
  assert.deepEqual(jobs(other.t, 'stream.start'), []);

  await fails(t.key, 'BatchStartDevices', { Id: d2 }, 400, 'MissingParameter', 'AccessInfo');
  await fails(t.key, 'BatchStartDevices', { AccessInfo: ACCESS }, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'BatchStartDevices', { Id: d2, AccessInfo: '{}' }, 400,
    'InvalidParameter', 'AccessInfo');
  await fails(t.key, 'BatchStartDevices', { Id: `${d2},`, AccessInfo: ACCESS }, 400,
    'InvalidParameter', 'Id');
  await fails(t.key, 'BatchStopDevices', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'BatchStopDevices', { Id: ',' }, 400, 'InvalidParameter', 'Id');
  assert.equal(jobs(t, 'stream.start').length, 3, 'refused calls queued nothing');
});

// ---------------------------------------------------------------- UnlockDevice

test('UnlockDevice: failed -> off with the failure count reset', async () => {
  const { t, c, g } = await setup();
  const other = await setup();
  const id = await create(c, g);
  L.sql(`UPDATE devices SET status = 'failed', auth_failures = 5 WHERE id = ${id}`);
  const r = await rq(c, 'UnlockDevice', { Id: id });
  assert.deepEqual(Object.keys(r).sort(), ['Id', 'RequestId']);
  assert.equal(r.Id, id);
  assert.equal(one(`SELECT CONCAT(status, ',', auth_failures) FROM devices WHERE id = ${id}`),
    'off,0');
  // not locked (any more): nothing to unlock
  for (const status of ['off', 'on', 'new']) {
    L.sql(`UPDATE devices SET status = '${status}' WHERE id = ${id}`);
    const e = await fails(t.key, 'UnlockDevice', { Id: id }, 409, 'IncorrectDeviceStatus');
    assert.match(e.Message, new RegExp(`status is ${status}`));
  }
  const theirs = await create(other.c, other.g);
  L.sql(`UPDATE devices SET status = 'failed' WHERE id = ${theirs}`);
  await fails(t.key, 'UnlockDevice', {}, 400, 'MissingParameter', 'Id');
  await fails(t.key, 'UnlockDevice', { Id: 'one' }, 400, 'InvalidParameter', 'Id');
  const a = await fails(t.key, 'UnlockDevice', { Id: MISSING_ID }, 404, 'InvalidDevice.NotFound');
  const b = await fails(t.key, 'UnlockDevice', { Id: theirs }, 404, 'InvalidDevice.NotFound');
  assert.equal(a.Message.replace(MISSING_ID, 'X'), b.Message.replace(theirs, 'X'));
  assert.equal(state('devices', theirs)[0], 'failed');
});

test('the operator acts on a tenant\'s devices only through ResourceOwnerAccount', async () => {
  const { t, c, g } = await setup();
  const id = await create(c, g);
  await fails(L.operator, 'DescribeDevice', { Id: id }, 400, 'MissingParameter',
    'ResourceOwnerAccount');
  const r = await rq(L.client(L.operator), 'DescribeDevice',
    { Id: id, ResourceOwnerAccount: t.user });
  assert.equal(r.Id, id);
});
