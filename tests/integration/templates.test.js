// Templates, bindings (spec section 5) and records (section 6), through
// nginx: the vendor SDK for happy paths, our own signer for raw statuses.
// Spaces, streams and records come from SQL fixtures.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');
const F = require('./fixtures');

const STATUS = {
  MissingParameter: 400, InvalidParameter: 400,
  'InvalidTemplate.NotFound': 404, 'InvalidGroup.NotFound': 404,
  'InvalidStream.NotFound': 404, IncorrectTemplateStatus: 409,
  ConfigAlreadyExists: 409, 'InvalidStartTime.Malformed': 400,
  'InvalidEndTime.Malformed': 400, 'InvalidEndTime.Mismatch': 400,
};

// Raw call as tenant t with the spec's parameter spelling.
const call = (t, action, params, method = 'GET') =>
  L.call(action, params, { key: t.key, method });

async function ok(p) {
  const r = await p;
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.Code, undefined, r.body);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  return r.json;
}

async function fails(p, code, message) {
  const r = await p;
  assert.equal(r.json && r.json.Code, code, r.body);
  assert.equal(r.status, STATUS[code], r.body);
  if (message) assert.match(r.json.Message, message);
  return r.json;
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const ID = /^\d{16}$/;

const TEMPLATE_FIELDS = {
  Id: 'string', Name: 'string', Description: 'string', Type: 'string',
  Region: 'string', oNestBucket: 'string', oNestEndpoint: 'string',
  Interval: 'number', Retention: 'number', FileFormat: 'string',
  JpgOverwrite: 'string', JpgSequence: 'string', Mp4: 'string', Flv: 'string',
  HlsM3u8: 'string', HlsTs: 'string', Trigger: 'string', Callback: 'string',
  CreatedTime: 'string', Expired: 'number', TransConfigs: 'array',
};
const TRANS_FIELDS = {
  Id: 'string', Name: 'string', VideoCodec: 'string', VideoBitrate: 'number',
  Fps: 'number', Gop: 'number', Height: 'number', Width: 'number',
};
const RECORD_FIELDS = {
  Id: 'string', Type: 'string', FileFormat: 'string', Url: 'string',
  oNestBucket: 'string', oNestObject: 'string', StartTime: 'string',
  EndTime: 'string', Height: 'number', Width: 'number', Duration: 'number',
};
const BINDING_FIELDS = {
  TemplateId: 'string', TemplateType: 'string', InstanceId: 'string',
  InstanceType: 'string',
};

function shape(o, fields) {
  for (const [k, type] of Object.entries(fields)) {
    assert.ok(k in o, `field ${k} missing in ${JSON.stringify(o)}`);
    if (type === 'array') assert.ok(Array.isArray(o[k]), `${k} is an array`);
    else assert.equal(typeof o[k], type, `${k} is a ${type}`);
  }
}

function templateShape(o) {
  shape(o, TEMPLATE_FIELDS);
  assert.match(o.Id, ID);
  assert.match(o.CreatedTime, TIME);
  for (const c of o.TransConfigs) shape(c, TRANS_FIELDS);
}

const tc = (o = {}) => Object.assign({ Name: 'sd', VideoCodec: 'h264',
  VideoBitrate: 800, Fps: 25, Gop: 50, Height: 480, Width: 640 }, o);

// Valid CreateTemplate parameters of each type (the spec's spelling).
const PARAMS = {
  record: () => ({ Name: '录制模板', Description: '门口摄像头的录制', Type: 'record',
    Region: 'cn-shanghai', oNestBucket: 'my_oNest_bucket',
    oNestEndpoint: 'oNest-cn-shanghai.example.com', Interval: '3600',
    FileFormat: 'mp4,flv', Mp4: '{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}',
    Trigger: 'ondemand', Expired: '7', Callback: 'http://example.com/cb' }),
  snapshot: () => ({ Name: '截图模板', Type: 'snapshot', Region: 'cn-shanghai',
    oNestBucket: 'snaps', oNestEndpoint: 'oss.example.com:9000',
    Interval: '10', FileFormat: 'jpg',
    JpgOverwrite: '{AppName}_{StreamName}.jpg',
    JpgSequence: '{StreamName}_{UnixTimestamp}.jpg', Expired: '30' }),
  transcode: () => ({ Name: '转码模板', Type: 'transcode',
    TransConfigsJSON: JSON.stringify([tc(), tc({ Name: 'hd', VideoBitrate: 2000,
      Height: 720, Width: 1280 })]) }),
  timeshift: () => ({ Name: '时移模板', Type: 'timeshift', Retention: '3' }),
};

async function create(t, type, extra = {}) {
  const r = await ok(call(t, 'CreateTemplate',
    Object.assign(PARAMS[type](), extra), 'POST'));
  assert.match(r.Id, ID);
  return r.Id;
}

// A reply without its RequestId, to compare two reads.
const plain = ({ RequestId, ...rest }) => rest;
const describe = (t, id) => ok(call(t, 'DescribeTemplate', { Id: id }));
const count = async (t) =>
  (await ok(call(t, 'DescribeTemplates', {}))).TotalCount;

test('CreateTemplate + DescribeTemplate: every type, every field, via the SDK', async () => {
  const t = await F.tenant();
  const sdk = L.client(t.key);
  for (const [type, method] of [['record', 'POST'], ['snapshot', 'GET'],
    ['transcode', 'POST'], ['timeshift', 'GET']]) {
    // pop-core sends oNestBucket as ONestBucket: both spellings are taken
    const p = PARAMS[type]();
    const c = await sdk.request('CreateTemplate', p, { method });
    assert.match(c.Id, ID);
    const d = await sdk.request('DescribeTemplate', { Id: c.Id }, { method });
    templateShape(d);
    assert.equal(d.Id, c.Id);
    assert.equal(d.Type, type);
    assert.equal(d.Name, p.Name, 'Chinese name round-trips');
    assert.equal(d.Description, p.Description || '');
    const store = type === 'record' || type === 'snapshot';
    assert.equal(d.Region, store ? 'cn-shanghai' : '');
    assert.equal(d.oNestBucket, store ? p.oNestBucket : '');
    assert.equal(d.oNestEndpoint, store ? p.oNestEndpoint : '');
    assert.equal(d.Interval, store ? Number(p.Interval) : 0);
    assert.equal(d.Expired, store ? Number(p.Expired) : 0);
    assert.equal(d.Retention, type === 'timeshift' ? 3 : 0);
    assert.equal(d.Trigger, type === 'record' ? 'ondemand' : '');
    assert.equal(d.Callback, p.Callback || '');
    assert.equal(d.TransConfigs.length, type === 'transcode' ? 2 : 0);
    if (type === 'record') {
      assert.equal(d.FileFormat, 'mp4,flv');
      assert.equal(d.Mp4, p.Mp4);
      // a selected format without a path gets the default one
      assert.equal(d.Flv, 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}');
      assert.equal(d.HlsM3u8, '');
      assert.equal(d.HlsTs, '');
      assert.equal(d.JpgSequence, '');
    }
    if (type === 'snapshot') {
      assert.equal(d.FileFormat, 'jpg');
      assert.equal(d.JpgOverwrite, p.JpgOverwrite);
      assert.equal(d.JpgSequence, p.JpgSequence);
      assert.equal(d.Mp4, '');
    }
    if (type === 'transcode') {
      assert.deepEqual(d.TransConfigs.map((x) => [x.Name, x.VideoCodec,
        x.VideoBitrate, x.Fps, x.Gop, x.Height, x.Width]),
      [['sd', 'h264', 800, 25, 50, 480, 640], ['hd', 'h264', 2000, 25, 50, 720, 1280]]);
      for (const x of d.TransConfigs) assert.match(x.Id, ID);
      assert.equal(d.FileFormat, '');
    }
  }
  assert.equal(await count(t), 4);
});

test('CreateTemplate: path rules of the spec and defaults', async () => {
  const t = await F.tenant();
  // every allowed variable; HlsTs needs both {UnixTimestamp} and {Sequence}
  let d = await describe(t, await create(t, 'record', { FileFormat: 'hls,mp4',
    Mp4: undefined, HlsM3u8: '{AppName}/{StreamName}/{Sequence}/{EscapedStartTime}-{EscapedEndTime}',
    HlsTs: '{Sequence}_{UnixTimestamp}' }));
  assert.equal(d.FileFormat, 'mp4,hls', 'canonical order');
  assert.equal(d.Mp4, 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}');
  assert.equal(d.HlsTs, '{Sequence}_{UnixTimestamp}');
  assert.equal(d.Flv, '');
  assert.equal(d.Trigger, 'ondemand');
  d = await describe(t, await create(t, 'record', { Trigger: undefined,
    Expired: undefined }));
  assert.equal(d.Trigger, 'auto', 'Trigger defaults to auto');
  assert.equal(d.Expired, 0);
  // JpgSequence needs one of {UnixTimestamp} {Sequence}
  d = await describe(t, await create(t, 'snapshot', { JpgOverwrite: undefined,
    JpgSequence: 'seq/{StreamName}/{Sequence}.jpg' }));
  assert.equal(d.JpgSequence, 'seq/{StreamName}/{Sequence}.jpg');
  assert.equal(d.JpgOverwrite, '');
  // neither JPG path: sequence snapshots by default
  d = await describe(t, await create(t, 'snapshot', { JpgOverwrite: undefined,
    JpgSequence: undefined }));
  assert.equal(d.JpgSequence, 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg');
});

test('CreateTemplate: each required parameter of each Type missing', async () => {
  const t = await F.tenant();
  const cases = [
    ['record', 'Name'], ['record', 'Type'], ['record', 'Region'],
    ['record', 'oNestBucket'], ['record', 'oNestEndpoint'],
    ['record', 'Interval'], ['record', 'FileFormat'],
    ['snapshot', 'Region'], ['snapshot', 'oNestBucket'],
    ['snapshot', 'oNestEndpoint'], ['snapshot', 'Interval'],
    ['snapshot', 'FileFormat'], ['timeshift', 'Retention'],
    ['timeshift', 'Name'], ['transcode', 'TransConfigsJSON'],
  ];
  for (const [type, name] of cases) {
    const p = PARAMS[type]();
    delete p[name];
    await fails(call(t, 'CreateTemplate', p), 'MissingParameter',
      new RegExp(`\\b${name}\\b`));
    p[name] = '';
    await fails(call(t, 'CreateTemplate', p), 'MissingParameter',
      new RegExp(`\\b${name}\\b`));
  }
  for (const name of Object.keys(tc())) {
    const one = tc();
    delete one[name];
    await fails(call(t, 'CreateTemplate', Object.assign(PARAMS.transcode(),
      { TransConfigsJSON: JSON.stringify([one]) })), 'MissingParameter',
    new RegExp(`TransConfigsJSON\\[0\\]\\.${name}\\b`));
  }
  assert.equal(await count(t), 0, 'nothing was created');
});

test('CreateTemplate: malformed values are InvalidParameter naming them', async () => {
  const t = await F.tenant();
  const tcs = (list) => ({ TransConfigsJSON: JSON.stringify(list) });
  const cases = [
    ['record', { Type: 'live' }, /Type/],
    ['record', { Name: 'x'.repeat(129) }, /Name/],
    ['record', { FileFormat: 'avi' }, /FileFormat/],
    ['record', { FileFormat: 'mp4,mp4' }, /FileFormat/],
    ['record', { FileFormat: 'jpg' }, /FileFormat/],
    ['snapshot', { FileFormat: 'mp4' }, /FileFormat/],
    ['record', { Interval: '299' }, /Interval.*300 to 21600/],
    ['record', { Interval: '21601' }, /Interval/],
    ['record', { Interval: '1h' }, /Interval/],
    ['snapshot', { Interval: '4' }, /Interval.*5 to 3600/],
    ['snapshot', { Interval: '3601' }, /Interval/],
    ['record', { Trigger: 'manual' }, /Trigger/],
    ['record', { Expired: '-1' }, /Expired/],
    ['record', { Expired: 'seven' }, /Expired/],
    ['timeshift', { Retention: '0' }, /Retention/],
    ['record', { Region: 'CN_Shanghai' }, /Region/],
    ['record', { oNestBucket: 'bad bucket' }, /oNestBucket/],
    ['record', { oNestEndpoint: 'host name!' }, /oNestEndpoint/],
    ['record', { oNestEndpoint: 'host:port' }, /oNestEndpoint/],
    ['record', { Callback: 'ftp://example.com/' }, /Callback/],
    ['record', { Mp4: '{EscapedStartTime}.mp4' }, /Mp4.*\{EscapedEndTime\}/],
    ['record', { Mp4: '{UnixTimestamp}_{EscapedStartTime}_{EscapedEndTime}' }, /Mp4.*\{UnixTimestamp\}/],
    ['record', { Mp4: '{Date}/{EscapedStartTime}_{EscapedEndTime}' }, /Mp4.*\{Date\}/],
    ['record', { Mp4: '{EscapedStartTime_{EscapedEndTime}' }, /Mp4/],
    ['record', { Mp4: '/abs/{EscapedStartTime}_{EscapedEndTime}' }, /Mp4/],
    ['record', { Mp4: 'a/../{EscapedStartTime}_{EscapedEndTime}' }, /Mp4/],
    ['record', { Flv: 'x/{EscapedStartTime}}{EscapedEndTime}' }, /Flv/],
    ['record', { FileFormat: 'hls', Mp4: undefined, HlsTs: '{UnixTimestamp}.ts' }, /HlsTs.*\{Sequence\}/],
    ['record', { FileFormat: 'hls', Mp4: undefined, HlsM3u8: '{StreamName}' }, /HlsM3u8/],
    // a path for a format that is not selected
    ['record', { FileFormat: 'mp4', Flv: '{EscapedStartTime}_{EscapedEndTime}' }, /Flv.*flv/],
    ['snapshot', { JpgSequence: '{StreamName}.jpg' }, /JpgSequence.*\{Sequence\} or \{UnixTimestamp\}/],
    ['snapshot', { JpgOverwrite: '{UnixTimestamp}.jpg' }, /JpgOverwrite/],
    // parameters of another type are refused, not ignored
    ['snapshot', { Mp4: '{EscapedStartTime}_{EscapedEndTime}' }, /Mp4.*snapshot/],
    ['snapshot', { Trigger: 'auto' }, /Trigger/],
    ['timeshift', { Interval: '3600' }, /Interval.*timeshift/],
    ['record', { Retention: '3' }, /Retention/],
    ['record', tcs([tc()]), /TransConfigsJSON/],
    ['transcode', { Region: 'cn-shanghai' }, /Region/],
    ['transcode', { TransConfigsJSON: 'not json' }, /TransConfigsJSON/],
    ['transcode', { TransConfigsJSON: '{"Name":"sd"}' }, /TransConfigsJSON/],
    ['transcode', tcs([]), /TransConfigsJSON/],
    ['transcode', tcs(Array.from({ length: 11 }, (_, i) => tc({ Name: 'r' + i }))), /TransConfigsJSON/],
    ['transcode', tcs([1]), /TransConfigsJSON\[0\]/],
    ['transcode', tcs([tc({ Name: 's-d' })]), /TransConfigsJSON\[0\]\.Name/],
    ['transcode', tcs([tc({ Name: 'x'.repeat(33) })]), /TransConfigsJSON\[0\]\.Name/],
    ['transcode', tcs([tc(), tc({ VideoCodec: 'h265', Name: 'b' })]), /TransConfigsJSON\[1\]\.VideoCodec/],
    ['transcode', tcs([tc({ Width: 641 })]), /TransConfigsJSON\[0\]\.Width/],
    ['transcode', tcs([tc({ Height: 8 })]), /TransConfigsJSON\[0\]\.Height/],
    ['transcode', tcs([tc({ Fps: 0 })]), /TransConfigsJSON\[0\]\.Fps/],
    ['transcode', tcs([tc({ Gop: 1.5 })]), /TransConfigsJSON\[0\]\.Gop/],
    ['transcode', tcs([tc({ VideoBitrate: 'fast' })]), /TransConfigsJSON\[0\]\.VideoBitrate/],
    ['transcode', tcs([tc(), tc()]), /TransConfigsJSON.*Name sd/],
    ['transcode', tcs([tc({ Bitrate: 1 })]), /TransConfigsJSON\[0\].*Bitrate/],
    ['transcode', tcs([tc({ Id: '1234567890123456' })]), /TransConfigsJSON\[0\]\.Id/],
    ['transcode', tcs([tc({ Action: 'delete' })]), /TransConfigsJSON\[0\]\.Action/],
  ];
  for (const [type, over, re] of cases) {
    const p = Object.assign(PARAMS[type](), over);
    for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
    await fails(call(t, 'CreateTemplate', p, 'POST'), 'InvalidParameter', re);
  }
  assert.equal(await count(t), 0, 'nothing was created');
  // numbers may come as strings in the JSON
  const id = await create(t, 'transcode', tcs([tc({ Fps: '30', Width: '1920', Height: 1080 })]));
  assert.equal((await describe(t, id)).TransConfigs[0].Fps, 30);
});

test('DescribeTemplate: unknown, malformed, missing and another tenant\'s id', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const theirs = await create(other, 'record');
  await fails(call(t, 'DescribeTemplate', {}), 'MissingParameter', /Id/);
  await fails(call(t, 'DescribeTemplate', { Id: 'abc' }), 'InvalidParameter', /Id/);
  const unknown = await fails(call(t, 'DescribeTemplate', { Id: F.newId() }),
    'InvalidTemplate.NotFound');
  const leaked = await fails(call(t, 'DescribeTemplate', { Id: theirs }),
    'InvalidTemplate.NotFound');
  assert.equal(leaked.Message.replace(/\d+/g, 'N'), unknown.Message.replace(/\d+/g, 'N'),
    'same answer as a missing id');
  assert.equal((await describe(other, theirs)).Id, theirs);
});

test('DescribeTemplates: fields, Type filter, pagination edges, isolation', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  await create(other, 'record');
  const ids = [];
  for (const type of ['record', 'record', 'snapshot', 'transcode', 'timeshift'])
    ids.push(await create(t, type));
  let r = await L.client(t.key).request('DescribeTemplates', {});
  shape(r, { PageSize: 'number', PageNum: 'number', PageCount: 'number',
    TotalCount: 'number', Templates: 'array' });
  assert.equal(r.TotalCount, 5, 'another tenant\'s template is not listed');
  assert.deepEqual(r.Templates.map((x) => x.Id), ids, 'oldest first');
  r.Templates.forEach(templateShape);
  assert.equal(r.Templates.find((x) => x.Type === 'transcode').TransConfigs.length, 2);

  r = await ok(call(t, 'DescribeTemplates', { Type: 'record' }));
  assert.deepEqual(r.Templates.map((x) => x.Id), ids.slice(0, 2));
  assert.equal(r.TotalCount, 2);
  r = await ok(call(t, 'DescribeTemplates', { PageSize: 2, PageNum: 2 }));
  assert.deepEqual(r.Templates.map((x) => x.Id), ids.slice(2, 4));
  assert.deepEqual([r.PageSize, r.PageNum, r.PageCount, r.TotalCount], [2, 2, 3, 5]);
  r = await ok(call(t, 'DescribeTemplates', { PageSize: 2, PageNum: 4 }));
  assert.deepEqual(r.Templates, [], 'a page past the end is empty');
  assert.deepEqual([r.PageCount, r.TotalCount], [3, 5]);
  r = await ok(call(t, 'DescribeTemplates', { SortBy: 'name', SortDirection: 'desc', PageSize: 1 }));
  assert.equal(r.Templates[0].Name, '转码模板');

  for (const [p, re] of [[{ PageSize: 0 }, /PageSize/], [{ PageSize: 101 }, /PageSize/],
    [{ PageNum: 0 }, /PageNum/], [{ PageSize: 'x' }, /PageSize/],
    [{ Type: 'live' }, /Type/], [{ InstanceId: 'g1' }, /InstanceId/],
    [{ SortBy: 'Interval' }, /SortBy/]])
    await fails(call(t, 'DescribeTemplates', p), 'InvalidParameter', re);
});

async function bind(t, templateId, type, instanceId, instanceType, more = {}) {
  return ok(call(t, 'BindTemplate', Object.assign({ TemplateId: templateId,
    TemplateType: type, InstanceId: instanceId, InstanceType: instanceType }, more)));
}
const boundTo = async (t, inst, type) => (await ok(call(t, 'DescribeTemplates',
  Object.assign({ InstanceId: inst }, type ? { Type: type } : {})))).Templates.map((x) => x.Id);
const bindingRow = (inst, type) => L.sql(`SELECT template_id, IFNULL(via_group, '-')
  FROM template_bindings WHERE instance_id = ${inst} AND template_type = '${type}'`).trim();

test('BindTemplate / UnbindTemplate: response, Replace rule, override and Describe by instance', async () => {
  const t = await F.tenant();
  const sdk = L.client(t.key);
  const g = F.space(t);
  const s = F.stream(t, g);
  const a = await create(t, 'record');
  const b = await create(t, 'record', { Name: '第二个' });
  const snap = await create(t, 'snapshot');

  const r = await sdk.request('BindTemplate', { TemplateId: a, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group' });
  shape(r, BINDING_FIELDS);
  assert.deepEqual([r.TemplateId, r.TemplateType, r.InstanceId, r.InstanceType],
    [a, 'record', g, 'group']);
  // a group binding is in effect on its streams
  assert.deepEqual(await boundTo(t, g), [a]);
  assert.deepEqual(await boundTo(t, s), [a]);
  // same template again: idempotent
  await bind(t, a, 'record', g, 'group');
  // another template of the same type without Replace: refused, unchanged
  await fails(call(t, 'BindTemplate', { TemplateId: b, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group' }), 'ConfigAlreadyExists', /Replace/);
  await fails(call(t, 'BindTemplate', { TemplateId: b, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group', Replace: 'false' }), 'ConfigAlreadyExists');
  assert.deepEqual(await boundTo(t, g), [a]);
  // one binding per type: a snapshot template binds beside it
  await bind(t, snap, 'snapshot', g, 'group');
  assert.deepEqual((await boundTo(t, g)).sort(), [a, snap].sort());
  // the stream's own binding overrides the group's of that type only
  await bind(t, b, 'record', s, 'stream');
  assert.deepEqual((await boundTo(t, s)).sort(), [b, snap].sort());
  assert.deepEqual(await boundTo(t, s, 'record'), [b]);
  assert.deepEqual(await boundTo(t, g, 'record'), [a]);
  // Replace=true replaces
  await bind(t, b, 'record', g, 'group', { Replace: 'true' });
  assert.deepEqual(await boundTo(t, g, 'record'), [b]);

  // unbind the stream's own binding: it inherits the group's again
  const u = await sdk.request('UnbindTemplate', { TemplateId: b, TemplateType: 'record',
    InstanceId: s, InstanceType: 'stream' });
  shape(u, BINDING_FIELDS);
  assert.equal(u.InstanceId, s);
  assert.equal(bindingRow(s, 'record'), '');
  assert.deepEqual(await boundTo(t, s, 'record'), [b]);
  // unbinding what is not bound succeeds and changes nothing
  await ok(call(t, 'UnbindTemplate', { TemplateId: a, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group' }));
  assert.deepEqual(await boundTo(t, g, 'record'), [b]);
  await ok(call(t, 'UnbindTemplate', { TemplateId: b, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group' }, 'POST'));
  assert.deepEqual(await boundTo(t, g), [snap]);
  assert.deepEqual(await boundTo(t, s), [snap]);
  // another tenant filtering by these instances sees nothing
  const other = await F.tenant();
  assert.deepEqual(await boundTo(other, g), []);
  assert.deepEqual(await boundTo(other, s), []);
});

test('BindTemplate / UnbindTemplate: missing, invalid, unknown and foreign ids', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const g = F.space(t);
  const s = F.stream(t, g);
  const a = await create(t, 'record');
  const og = F.space(other);
  const os = F.stream(other, og);
  const oa = await create(other, 'record');
  const base = { TemplateId: a, TemplateType: 'record', InstanceId: g, InstanceType: 'group' };

  for (const action of ['BindTemplate', 'UnbindTemplate']) {
    for (const name of Object.keys(base)) {
      const p = Object.assign({}, base);
      delete p[name];
      await fails(call(t, action, p), 'MissingParameter', new RegExp(name));
    }
    for (const [over, re] of [[{ TemplateType: 'live' }, /TemplateType/],
      [{ TemplateType: 'snapshot' }, /TemplateType/],
      [{ InstanceType: 'device' }, /InstanceType/],
      [{ InstanceId: 'abc' }, /InstanceId/], [{ TemplateId: '-1' }, /TemplateId/]])
      await fails(call(t, action, Object.assign({}, base, over)), 'InvalidParameter', re);
    for (const [over, code] of [
      [{ TemplateId: F.newId() }, 'InvalidTemplate.NotFound'],
      [{ TemplateId: oa }, 'InvalidTemplate.NotFound'],
      [{ InstanceId: F.newId() }, 'InvalidGroup.NotFound'],
      [{ InstanceId: og }, 'InvalidGroup.NotFound'],
      [{ InstanceId: s }, 'InvalidGroup.NotFound'],
      [{ InstanceId: F.newId(), InstanceType: 'stream' }, 'InvalidStream.NotFound'],
      [{ InstanceId: os, InstanceType: 'stream' }, 'InvalidStream.NotFound']])
      await fails(call(t, action, Object.assign({}, base, over)), code);
  }
  for (const name of ['ApplyAll', 'Replace'])
    await fails(call(t, 'BindTemplate', Object.assign({ [name]: 'yes' }, base)),
      'InvalidParameter', new RegExp(name));
  assert.equal(L.sql(`SELECT COUNT(*) FROM template_bindings
    WHERE tenant_id IN (${t.tenantId}, ${other.tenantId})`).trim(), '0', 'nothing bound');
});

test('BindTemplate ApplyAll: streams of the group, Replace per stream, undone by unbinding the group', async () => {
  const t = await F.tenant();
  const g = F.space(t);
  const g2 = F.space(t);
  const [s1, s2, s3] = [F.stream(t, g), F.stream(t, g), F.stream(t, g)];
  const elsewhere = F.stream(t, g2);
  const a = await create(t, 'record');
  const b = await create(t, 'record');
  await bind(t, b, 'record', s1, 'stream');

  // Replace=false: streams with their own binding keep it
  await bind(t, a, 'record', g, 'group', { ApplyAll: 'true' });
  assert.equal(bindingRow(s1, 'record'), `${b}\t-`);
  assert.equal(bindingRow(s2, 'record'), `${a}\t${g}`);
  assert.equal(bindingRow(s3, 'record'), `${a}\t${g}`);
  assert.equal(bindingRow(elsewhere, 'record'), '');
  assert.deepEqual(await boundTo(t, s1), [b]);
  // Replace=true: they are replaced too
  await bind(t, a, 'record', g, 'group', { ApplyAll: 'true', Replace: 'true' });
  assert.equal(bindingRow(s1, 'record'), `${a}\t${g}`);
  // a stream's explicit bind makes the binding its own
  await bind(t, a, 'record', s3, 'stream');
  assert.equal(bindingRow(s3, 'record'), `${a}\t-`);
  // replacing the group's template carries what ApplyAll made along
  await bind(t, b, 'record', g, 'group', { Replace: 'true' });
  assert.equal(bindingRow(s1, 'record'), `${b}\t${g}`);
  assert.equal(bindingRow(s2, 'record'), `${b}\t${g}`);
  assert.equal(bindingRow(s3, 'record'), `${a}\t-`);
  await bind(t, a, 'record', g, 'group', { Replace: 'true' });
  assert.equal(bindingRow(s1, 'record'), `${a}\t${g}`);
  // DeleteTemplate while bound (group or streams) is refused
  await fails(call(t, 'DeleteTemplate', { Id: a }), 'IncorrectTemplateStatus', /bound/);
  // unbinding the group removes what ApplyAll made, not the stream's own
  await ok(call(t, 'UnbindTemplate', { TemplateId: a, TemplateType: 'record',
    InstanceId: g, InstanceType: 'group' }));
  assert.equal(bindingRow(s1, 'record'), '');
  assert.equal(bindingRow(s2, 'record'), '');
  assert.equal(bindingRow(s3, 'record'), `${a}\t-`);
  assert.deepEqual(await boundTo(t, s2), []);
  await fails(call(t, 'DeleteTemplate', { Id: a }), 'IncorrectTemplateStatus');
  await ok(call(t, 'UnbindTemplate', { TemplateId: a, TemplateType: 'record',
    InstanceId: s3, InstanceType: 'stream' }));
  await ok(call(t, 'DeleteTemplate', { Id: a }));
});

test('BatchBindTemplate / BatchUnbindTemplate: per-item Results with Error', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const g = F.space(t);
  const [s1, s2] = [F.stream(t, g), F.stream(t, g)];
  const os = F.stream(other, F.space(other));
  const a = await create(t, 'snapshot');
  const b = await create(t, 'snapshot');
  await bind(t, b, 'snapshot', s2, 'stream');
  const unknown = F.newId();
  const list = [s1, 'abc', unknown, os, s2].join(',');

  let r = await L.client(t.key).request('BatchBindTemplate', { TemplateId: a,
    TemplateType: 'snapshot', InstanceId: list, InstanceType: 'stream' }, { method: 'POST' });
  assert.ok(Array.isArray(r.Results));
  assert.equal(r.Results.length, 5);
  r.Results.forEach((x) => shape(x, BINDING_FIELDS));
  assert.deepEqual(r.Results.map((x) => x.InstanceId), [s1, 'abc', unknown, os, s2]);
  assert.deepEqual(r.Results.map((x) => [x.TemplateId, x.TemplateType, x.InstanceType]),
    Array(5).fill([a, 'snapshot', 'stream']));
  assert.equal(r.Results[0].Error, undefined, 'only failed items carry Error');
  assert.match(r.Results[1].Error, /^InvalidParameter: .*abc/);
  assert.match(r.Results[2].Error, /^InvalidStream\.NotFound: /);
  assert.match(r.Results[3].Error, /^InvalidStream\.NotFound: /, 'another tenant\'s stream');
  assert.match(r.Results[4].Error, /^ConfigAlreadyExists: /);
  assert.equal(typeof r.Results[1].Error, 'string');
  assert.equal(bindingRow(s1, 'snapshot'), `${a}\t-`);
  assert.equal(bindingRow(s2, 'snapshot'), `${b}\t-`);
  assert.equal(bindingRow(os, 'snapshot'), '');

  r = await ok(call(t, 'BatchBindTemplate', { TemplateId: a, TemplateType: 'snapshot',
    InstanceId: s2, InstanceType: 'stream', Replace: 'true' }));
  assert.equal(r.Results[0].Error, undefined);
  assert.equal(bindingRow(s2, 'snapshot'), `${a}\t-`);
  // groups, with ApplyAll
  r = await ok(call(t, 'BatchBindTemplate', { TemplateId: b, TemplateType: 'snapshot',
    InstanceId: `${g},${F.newId()}`, InstanceType: 'group', ApplyAll: 'true' }));
  assert.equal(r.Results[0].Error, undefined);
  assert.match(r.Results[1].Error, /^InvalidGroup\.NotFound: /);

  r = await L.client(t.key).request('BatchUnbindTemplate', { TemplateId: a,
    TemplateType: 'snapshot', InstanceId: `${s1},${s2},${unknown}`, InstanceType: 'stream' });
  assert.equal(r.Results.length, 3);
  r.Results.forEach((x) => shape(x, BINDING_FIELDS));
  assert.equal(r.Results[0].Error, undefined);
  assert.equal(r.Results[1].Error, undefined);
  assert.match(r.Results[2].Error, /^InvalidStream\.NotFound: /);
  assert.equal(bindingRow(s1, 'snapshot'), '');
  assert.equal(bindingRow(s2, 'snapshot'), '');

  // what holds for the whole call fails the whole call
  const base = { TemplateId: a, TemplateType: 'snapshot', InstanceId: s1, InstanceType: 'stream' };
  for (const action of ['BatchBindTemplate', 'BatchUnbindTemplate']) {
    for (const name of Object.keys(base)) {
      const p = Object.assign({}, base);
      delete p[name];
      await fails(call(t, action, p), 'MissingParameter', new RegExp(name));
    }
    await fails(call(t, action, Object.assign({}, base, { TemplateId: F.newId() })),
      'InvalidTemplate.NotFound');
    await fails(call(t, action, Object.assign({}, base, { TemplateType: 'record' })),
      'InvalidParameter', /TemplateType/);
    await fails(call(t, action, Object.assign({}, base, { InstanceType: 'x' })),
      'InvalidParameter', /InstanceType/);
    await fails(call(t, action, Object.assign({}, base, { InstanceId: `${s1},,${s2}` })),
      'InvalidParameter', /InstanceId/);
    await fails(call(t, action, Object.assign({}, base, {
      InstanceId: Array.from({ length: 101 }, () => s1).join(',') }), 'POST'),
    'InvalidParameter', /InstanceId/);
  }
  assert.equal(bindingRow(s1, 'snapshot'), '', 'refused calls bound nothing');
});

test('ModifyTemplate: only given fields change, with the type\'s validation', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const id = await create(t, 'record');
  const before = await describe(t, id);
  let r = await L.client(t.key).request('ModifyTemplate', { Id: id, Name: '新名字',
    Interval: '600', oNestBucket: 'newbucket' });
  assert.equal(r.Id, id);
  let d = await describe(t, id);
  assert.equal(d.Name, '新名字');
  assert.equal(d.Interval, 600);
  assert.equal(d.oNestBucket, 'newbucket');
  for (const k of ['Description', 'Region', 'oNestEndpoint', 'FileFormat', 'Mp4',
    'Flv', 'Trigger', 'Callback', 'Expired', 'CreatedTime', 'Type'])
    assert.deepEqual(d[k], before[k], `${k} unchanged`);

  // an empty Description / Callback clears it
  await ok(call(t, 'ModifyTemplate', { Id: id, Description: '', Callback: '' }));
  d = await describe(t, id);
  assert.equal(d.Description, '');
  assert.equal(d.Callback, '');
  // dropping flv clears its path; adding hls fills the defaults
  await ok(call(t, 'ModifyTemplate', { Id: id, FileFormat: 'hls,mp4' }));
  d = await describe(t, id);
  assert.equal(d.FileFormat, 'mp4,hls');
  assert.equal(d.Flv, '');
  assert.equal(d.Mp4, before.Mp4);
  assert.equal(d.HlsTs, 'record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}');
  // an empty path goes back to its default
  await ok(call(t, 'ModifyTemplate', { Id: id, Mp4: '' }));
  assert.equal((await describe(t, id)).Mp4,
    'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}');
  d = await describe(t, id);

  for (const [p, re] of [[{ Name: '' }, /Name/], [{ Interval: '100' }, /Interval/],
    [{ Interval: '' }, /Interval/], [{ oNestBucket: '' }, /oNestBucket/],
    [{ FileFormat: 'jpg' }, /FileFormat/], [{ Trigger: 'x' }, /Trigger/],
    [{ Flv: '{EscapedStartTime}_{EscapedEndTime}' }, /Flv.*flv/],
    [{ HlsTs: '{Sequence}' }, /HlsTs/], [{ JpgSequence: '{UnixTimestamp}' }, /JpgSequence/],
    [{ Retention: '3' }, /Retention/], [{ Expired: '99999' }, /Expired/],
    [{ TransConfigsJSON: JSON.stringify([tc()]) }, /TransConfigsJSON/],
    [{ Id: 'x1' }, /Id/], [{ Name: '改了', Mp4: '{StreamName}' }, /Mp4/]])
    await fails(call(t, 'ModifyTemplate', Object.assign({ Id: id }, p)), 'InvalidParameter', re);
  assert.deepEqual(plain(await describe(t, id)), plain(d), 'refused changes changed nothing');

  await fails(call(t, 'ModifyTemplate', { Name: 'x' }), 'MissingParameter', /Id/);
  await fails(call(t, 'ModifyTemplate', { Id: F.newId(), Name: 'x' }), 'InvalidTemplate.NotFound');
  const theirs = await create(other, 'timeshift');
  await fails(call(t, 'ModifyTemplate', { Id: theirs, Name: 'x' }), 'InvalidTemplate.NotFound');
  assert.equal((await describe(other, theirs)).Name, '时移模板');
  // timeshift: Retention
  await ok(call(other, 'ModifyTemplate', { Id: theirs, Retention: '7' }));
  assert.equal((await describe(other, theirs)).Retention, 7);
});

test('ModifyTemplate: TransConfigs created, modified and deleted by Action', async () => {
  const t = await F.tenant();
  const id = await create(t, 'transcode');
  const [sd, hd] = (await describe(t, id)).TransConfigs;
  const mod = (list) => call(t, 'ModifyTemplate', { Id: id,
    TransConfigsJSON: JSON.stringify(list) }, 'POST');

  await ok(mod([
    { Action: 'modify', Id: sd.Id, VideoBitrate: 600 },
    { Action: 'delete', Id: hd.Id },
    tc({ Action: 'create', Name: 'fhd', Height: 1080, Width: 1920, VideoBitrate: 4000 }),
  ]));
  let d = await describe(t, id);
  assert.deepEqual(d.TransConfigs.map((x) => [x.Name, x.VideoBitrate, x.Height]),
    [['sd', 600, 480], ['fhd', 4000, 1080]]);
  assert.equal(d.TransConfigs[0].Id, sd.Id, 'a modified TransConfig keeps its Id');
  const fhd = d.TransConfigs[1];
  // names can be swapped in one request
  await ok(mod([{ Action: 'modify', Id: sd.Id, Name: 'fhd' },
    { Action: 'modify', Id: fhd.Id, Name: 'sd' }]));
  d = await describe(t, id);
  assert.deepEqual(d.TransConfigs.map((x) => [x.Id, x.Name]), [[sd.Id, 'fhd'], [fhd.Id, 'sd']]);

  const cases = [
    [[{ Action: 'delete', Id: sd.Id }, { Action: 'delete', Id: fhd.Id }], 'InvalidParameter', /1 to 10/],
    [[{ Action: 'modify', Id: F.newId(), Fps: 30 }], 'InvalidParameter', /TransConfigsJSON\[0\]\.Id/],
    [[{ Action: 'modify', Fps: 30 }], 'MissingParameter', /TransConfigsJSON\[0\]\.Id/],
    [[{ Fps: 30, Id: sd.Id }], 'MissingParameter', /TransConfigsJSON\[0\]\.Action/],
    [[{ Action: 'update', Id: sd.Id }], 'InvalidParameter', /TransConfigsJSON\[0\]\.Action/],
    [[{ Action: 'modify', Id: sd.Id, Name: 'sd' }], 'InvalidParameter', /Name sd/],
    [[{ Action: 'modify', Id: sd.Id, Width: 7 }], 'InvalidParameter', /Width/],
    [[{ Action: 'modify', Id: sd.Id }, { Action: 'delete', Id: sd.Id }], 'InvalidParameter', /TransConfigsJSON\[1\]\.Id/],
    [[{ Action: 'create', Name: 'x' }], 'MissingParameter', /TransConfigsJSON\[0\]\.VideoCodec/],
    [[tc({ Action: 'create', Name: 'new', Id: sd.Id })], 'InvalidParameter', /TransConfigsJSON\[0\]\.Id/],
    [Array.from({ length: 9 }, (_, i) => tc({ Action: 'create', Name: 'n' + i })), 'InvalidParameter', /1 to 10/],
  ];
  for (const [list, code, re] of cases) await fails(mod(list), code, re);
  assert.deepEqual((await describe(t, id)).TransConfigs, d.TransConfigs, 'refused changes changed nothing');
});

test('DeleteTemplate: deleted, refused while bound, unknown and foreign ids', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const id = await create(t, 'transcode');
  const bound = await create(t, 'timeshift');
  const s = F.stream(t, F.space(t));
  await bind(t, bound, 'timeshift', s, 'stream');
  const theirs = await create(other, 'record');

  await fails(call(t, 'DeleteTemplate', {}), 'MissingParameter', /Id/);
  await fails(call(t, 'DeleteTemplate', { Id: '1x' }), 'InvalidParameter', /Id/);
  await fails(call(t, 'DeleteTemplate', { Id: F.newId() }), 'InvalidTemplate.NotFound');
  await fails(call(t, 'DeleteTemplate', { Id: theirs }), 'InvalidTemplate.NotFound');
  assert.equal((await describe(other, theirs)).Id, theirs, 'still there');
  await fails(call(t, 'DeleteTemplate', { Id: bound }), 'IncorrectTemplateStatus', /bound/);
  assert.equal((await describe(t, bound)).Id, bound);

  await L.client(t.key).request('DeleteTemplate', { Id: id });
  await fails(call(t, 'DescribeTemplate', { Id: id }), 'InvalidTemplate.NotFound');
  assert.equal(L.sql(`SELECT COUNT(*) FROM trans_configs WHERE template_id = ${id}`).trim(), '0');
  await fails(call(t, 'DeleteTemplate', { Id: id }), 'InvalidTemplate.NotFound');
  // a binding of a stream that no longer exists does not hold the template
  L.sql(`DELETE FROM streams WHERE id = ${s}`);
  await ok(call(t, 'DeleteTemplate', { Id: bound }));
  assert.equal(bindingRow(s, 'timeshift'), '');
});

function record(t, streamId, o = {}) {
  const id = F.newId();
  const type = o.type || 'record';
  L.sql(`INSERT INTO records (id, tenant_id, stream_id, type, file_format,
    onest_bucket, object_key, url, height, width, duration, start_time, end_time)
    VALUES (${id}, ${t.tenantId}, ${streamId}, '${type}',
    '${o.format || (type === 'record' ? 'mp4' : 'jpg')}', 'bucket',
    'live/${streamId}/${id}', 'http://bucket.oss.example.com/live/${streamId}/${id}',
    1080, 1920, ${o.duration || 0}, '${o.start}', '${o.end || o.start}')`);
  return id;
}

test('DescribeRecords: overlap window, every field, pagination, errors, isolation', async () => {
  const t = await F.tenant();
  const other = await F.tenant();
  const g = F.space(t);
  const s = F.stream(t, g);
  const s2 = F.stream(t, g);
  const os = F.stream(other, F.space(other));
  const r1 = record(t, s, { start: '2024-03-01 09:30:00', end: '2024-03-01 10:30:00', duration: 3600 });
  const r2 = record(t, s, { start: '2024-03-01 10:30:00', end: '2024-03-01 11:30:00', duration: 3600, format: 'hls' });
  const r3 = record(t, s, { start: '2024-03-01 11:30:00', end: '2024-03-01 12:30:00', duration: 3600 });
  record(t, s, { start: '2024-03-01 08:00:00', end: '2024-03-01 09:00:00' });
  record(t, s, { start: '2024-03-01 12:00:00', end: '2024-03-01 13:00:00' });
  const p1 = record(t, s, { type: 'snapshot', start: '2024-03-01 10:00:00' });
  record(t, s, { type: 'snapshot', start: '2024-03-01 12:00:00' });
  record(t, s2, { start: '2024-03-01 10:30:00', end: '2024-03-01 11:00:00' });
  record(other, os, { start: '2024-03-01 10:30:00', end: '2024-03-01 11:00:00' });
  const win = { Type: 'record', StreamId: s, StartTime: '2024-03-01T10:00:00Z',
    EndTime: '2024-03-01T12:00:00Z' };

  let r = await L.client(t.key).request('DescribeRecords', win);
  shape(r, { PageSize: 'number', PageNum: 'number', PageCount: 'number',
    TotalCount: 'number', Records: 'array' });
  assert.deepEqual(r.Records.map((x) => x.Id), [r1, r2, r3], 'overlapping, in time order');
  assert.deepEqual([r.TotalCount, r.PageCount, r.PageNum, r.PageSize], [3, 1, 1, 20]);
  r.Records.forEach((x) => shape(x, RECORD_FIELDS));
  assert.deepEqual({ ...r.Records[1] }, { Id: r2, Type: 'record', FileFormat: 'hls',
    Url: `http://bucket.oss.example.com/live/${s}/${r2}`, oNestBucket: 'bucket',
    oNestObject: `live/${s}/${r2}`, StartTime: '2024-03-01T10:30:00Z',
    EndTime: '2024-03-01T11:30:00Z', Height: 1080, Width: 1920, Duration: 3600 });

  r = await ok(call(t, 'DescribeRecords', Object.assign({}, win, { Type: 'snapshot' })));
  assert.deepEqual(r.Records.map((x) => x.Id), [p1], 'a snapshot at StartTime is in, at EndTime out');
  assert.equal(r.Records[0].FileFormat, 'jpg');
  assert.equal(r.Records[0].Duration, 0);

  r = await ok(call(t, 'DescribeRecords', Object.assign({}, win, { PageSize: 2, PageNum: 2 })));
  assert.deepEqual(r.Records.map((x) => x.Id), [r3]);
  assert.deepEqual([r.TotalCount, r.PageCount, r.PageNum, r.PageSize], [3, 2, 2, 2]);
  // the spec's "Page Num" spelling
  r = await ok(call(t, 'DescribeRecords', Object.assign({}, win, { PageSize: 2, 'Page Num': 2 })));
  assert.deepEqual(r.Records.map((x) => x.Id), [r3]);
  assert.equal(r.PageNum, 2);
  r = await ok(call(t, 'DescribeRecords', Object.assign({}, win, { PageSize: 2, PageNum: 3 })));
  assert.deepEqual(r.Records, [], 'a page past the end is empty');
  assert.deepEqual([r.TotalCount, r.PageCount], [3, 2]);

  for (const name of Object.keys(win)) {
    const p = Object.assign({}, win);
    delete p[name];
    await fails(call(t, 'DescribeRecords', p), 'MissingParameter', new RegExp(name));
  }
  const bad = [
    [{ Type: 'live' }, 'InvalidParameter', /Type/],
    [{ StreamId: 'abc' }, 'InvalidParameter', /StreamId/],
    [{ PageSize: 0 }, 'InvalidParameter', /PageSize/],
    [{ PageSize: 101 }, 'InvalidParameter', /PageSize/],
    [{ PageNum: 0 }, 'InvalidParameter', /PageNum/],
    [{ 'Page Num': 0 }, 'InvalidParameter', /Page Num/],
    [{ StartTime: '2024-03-01 10:00:00' }, 'InvalidStartTime.Malformed', /StartTime/],
    [{ StartTime: '2024-02-30T10:00:00Z' }, 'InvalidStartTime.Malformed', /StartTime/],
    [{ EndTime: '1709290800' }, 'InvalidEndTime.Malformed', /EndTime/],
    [{ EndTime: win.StartTime }, 'InvalidEndTime.Mismatch', /EndTime/],
    [{ EndTime: '2024-03-01T09:00:00Z' }, 'InvalidEndTime.Mismatch', /EndTime/],
    [{ StreamId: F.newId() }, 'InvalidStream.NotFound'],
    [{ StreamId: os }, 'InvalidStream.NotFound'],
  ];
  for (const [over, code, re] of bad)
    await fails(call(t, 'DescribeRecords', Object.assign({}, win, over)), code, re);
  // the other tenant sees its own record only
  r = await ok(call(other, 'DescribeRecords', Object.assign({}, win, { StreamId: os })));
  assert.equal(r.TotalCount, 1);
});

test('operator acting for a tenant with ResourceOwnerAccount', async () => {
  const t = await F.tenant();
  const op = L.client(L.operator);
  const c = await op.request('CreateTemplate', Object.assign(PARAMS.timeshift(),
    { ResourceOwnerAccount: t.user }));
  const d = await describe(t, c.Id);
  assert.equal(d.Type, 'timeshift');
  const r = await L.call('DescribeTemplates', {}, {});
  assert.equal(r.json.Code, 'MissingParameter', 'the operator must name a tenant');
});
