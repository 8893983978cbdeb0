// Channels (spec section 3), streams (section 4) and the RTMP push URLs of a
// space (section 1): a conformance table run for every Action (fields and
// types, missing and malformed parameters, unknown and other tenants' ids),
// then the behaviour each Action owes beyond it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./lib');
const F = require('./fixtures');

const AI = JSON.stringify({ AccessKeyId: 'ak-stream', AccessKeySecret: 'sk-stream-secret' });
// The stack's public RTMP address: the port is left out when it is 1935.
const RTMP_PORT = (require('node:fs').readFileSync(require('node:path').join(L.VAR,
  'vigil.conf'), 'utf8').match(/^\s*rtmp_port\s*=\s*(\d+);/m) || [])[1] || '1935';
const RTMP_HOST = RTMP_PORT === '1935' ? '127.0.0.1' : `127.0.0.1:${RTMP_PORT}`;
const RTMP_RE = RTMP_HOST.replace(/\./g, '\\.');
const UNKNOWN = '1000000000000001';
const UNKNOWN_CHANNEL = '4000000000';
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function expectError(r, status, code, message) {
  assert.equal(r.status, status, `${code}: ${r.body}`);
  assert.equal(r.json.Code, code, r.body);
  assert.match(r.json.RequestId, L.REQUEST_ID);
  if (message) assert.match(r.json.Message, message, r.body);
  return r.json;
}

// Checks every field of a spec table with its JSON type; an array shape
// [item] requires a non-empty array whose items all have item's fields.
function assertShape(o, shape, where = 'body') {
  for (const [k, type] of Object.entries(shape)) {
    if (Array.isArray(type)) {
      assert.ok(Array.isArray(o[k]) && o[k].length > 0, `${where}.${k}: ${JSON.stringify(o)}`);
      o[k].forEach((e, i) => assertShape(e, type[0], `${where}.${k}[${i}]`));
    } else {
      assert.equal(typeof o[k], type, `${where}.${k}: ${JSON.stringify(o[k])}`);
    }
  }
}

const STREAM = { Id: 'string', Name: 'string', App: 'string', Protocol: 'string',
  GroupId: 'string', DeviceId: 'string', Enabled: 'boolean', Status: 'string',
  CreatedTime: 'string', StartTime: 'string', StopTime: 'string', PushUrl: 'string' };
const LISTED_STREAM = Object.assign({ ChannelName: 'string' }, STREAM);
const CHANNEL = { Id: 'number', Name: 'string', GbId: 'string', StreamId: 'string',
  StreamStatus: 'string', DeviceId: 'string', DeviceStatus: 'string' };
const PAGE = { PageSize: 'number', PageNum: 'number', PageCount: 'number',
  TotalCount: 'number', RequestId: 'string' };
const RESULT = { Id: 'string' };

// A tenant with an rtmp space (and a stream pushed to it), a gb28181 space
// with an online device and one channel.
async function world() {
  const t = await F.tenant();
  const c = L.client(t.key);
  const rtmp = F.space(t, { InProtocol: 'rtmp', App: 'cam', Name: '推流空间' });
  const gb = F.space(t, { Name: '国标空间' });
  const device = F.device(t, gb, { Status: 'on', Name: '测试设备' });
  const ch = F.channel(t, gb, device, { Name: '通道1' });
  const push = await c.request('CreateRtmpGroupStreamurl', { Id: rtmp,
    Name: '推流测试', AccessInfo: AI });
  return { t, c, rtmp, gb, device, channel: String(ch.channelId),
    gbStream: ch.streamId, stream: push.Id, push,
    call: (action, params, opt = {}) => L.call(action, params,
      Object.assign({ key: t.key }, opt)) };
}

const row = (sql) => L.sql(sql).trim().split('\t');
// the jobs the API queued (not the media plane's own, e.g. gb.invite)
const jobs = (w, target) => L.sql(`SELECT kind FROM jobs WHERE tenant_id = ${w.t.tenantId}
  AND target = ${target} AND kind NOT LIKE 'gb.%' ORDER BY id`).split('\n').filter(Boolean);
const window = () => ({ StartTime: iso(Date.now() - 3600e3), StopTime: iso(Date.now() + 3600e3) });

// The conformance table. ok(w) gives a succeeding request; invalid lists
// bad values (each expected to be named by InvalidParameter); notFound says
// which id parameter addresses what, and how another tenant's id is found.
const ACTIONS = [
  { action: 'CreateRtmpGroupStreamurl', method: 'POST',
    required: ['Id', 'Name', 'AccessInfo'],
    ok: (w) => ({ Id: w.rtmp, Name: '新的流', AccessInfo: AI }),
    shape: { Id: 'string', PushUrl: 'string', RequestId: 'string' },
    invalid: [{ Id: 'abc' }, { Name: 'x'.repeat(129) }, { AccessInfo: 'not json' },
      { AccessInfo: '{"AccessKeyId":"a"}' }, { AccessInfo: '{"AccessKeyId":"","AccessKeySecret":"b"}' }],
    notFound: { param: 'Id', code: 'InvalidGroup.NotFound', of: (o) => o.rtmp } },
  { action: 'CreateRtmpGroupStreamurls', method: 'POST',
    required: ['Id', 'Name', 'AccessInfo'],
    ok: (w) => ({ Id: w.rtmp, Name: JSON.stringify(['一', 'two']), AccessInfo: AI }),
    shape: { Results: [{ Id: 'string', PushUrl: 'string' }], RequestId: 'string' },
    invalid: [{ Id: '12x' }, { Name: 'plain' }, { Name: '[]' }, { Name: '[""]' },
      { Name: '[1]' }, { Name: '{"a":"b"}' }, { Name: JSON.stringify(['x'.repeat(129)]) },
      { Name: JSON.stringify(Array.from({ length: 101 }, (_, i) => 'n' + i)) },
      { AccessInfo: '[]' }],
    notFound: { param: 'Id', code: 'InvalidGroup.NotFound', of: (o) => o.rtmp } },
  { action: 'DescribeDeviceChannels',
    required: ['Id'],
    ok: (w) => ({ Id: w.device }),
    shape: Object.assign({ Channels: [CHANNEL] }, PAGE),
    invalid: [{ Id: 'x' }, { Status: 'busy' }, { PageSize: '0' }, { PageSize: '101' },
      { PageNum: '0' }, { PageSize: 'ten' }],
    notFound: { param: 'Id', code: 'InvalidDevice.NotFound', of: (o) => o.device } },
  { action: 'DeleteChannel',
    required: ['Id'],
    ok: (w) => ({ Id: w.channel }),
    shape: { RequestId: 'string' },
    invalid: [{ Id: 'abc' }, { Id: '0' }, { Id: '-1' }, { Id: '4294967296' }],
    notFound: { param: 'Id', code: 'InvalidChannel.NotFound', of: (o) => o.channel,
      unknown: UNKNOWN_CHANNEL } },
  { action: 'BatchDeleteChannels',
    required: ['Id'],
    ok: (w) => ({ Id: w.channel }),
    shape: { Results: [{ Id: 'number' }], RequestId: 'string' },
    invalid: [{ Id: ',' }, { Id: '1,,2' }, { Id: Array.from({ length: 101 }, (_, i) => i + 1).join(',') }],
    notFound: { param: 'Id', code: 'InvalidChannel.NotFound', of: (o) => o.channel,
      unknown: UNKNOWN_CHANNEL, batch: true } },
  { action: 'StartChannel',
    required: ['Id', 'AccessInfo'],
    ok: (w) => ({ Id: w.channel, AccessInfo: AI }),
    shape: { Id: 'number', RequestId: 'string' },
    invalid: [{ Id: 'one' }, { AccessInfo: '{}' }],
    notFound: { param: 'Id', code: 'InvalidChannel.NotFound', of: (o) => o.channel,
      unknown: UNKNOWN_CHANNEL } },
  { action: 'StopChannel',
    required: ['Id'],
    ok: (w) => ({ Id: w.channel }),
    shape: { Id: 'number', RequestId: 'string' },
    invalid: [{ Id: '1.5' }],
    notFound: { param: 'Id', code: 'InvalidChannel.NotFound', of: (o) => o.channel,
      unknown: UNKNOWN_CHANNEL } },
  { action: 'RefreshChannels',
    required: ['Id'],
    ok: (w) => ({ Id: w.device }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: 'dev' }],
    notFound: { param: 'Id', code: 'InvalidDevice.NotFound', of: (o) => o.device } },
  { action: 'BatchStartStreams',
    required: ['Id', 'AccessInfo'],
    ok: (w) => ({ Id: `${w.stream},${w.gbStream}`, AccessInfo: AI }),
    shape: { Results: [RESULT], RequestId: 'string' },
    invalid: [{ Id: ',' }, { AccessInfo: 'nope' },
      { Id: Array.from({ length: 101 }, () => UNKNOWN).join(',') }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream, batch: true } },
  { action: 'BatchStopStreams',
    required: ['Id'],
    ok: (w) => ({ Id: `${w.stream},${w.gbStream}` }),
    shape: { Results: [RESULT], RequestId: 'string' },
    invalid: [{ Id: 'a,,b' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream, batch: true } },
  { action: 'DescribeStream',
    required: ['Id'],
    ok: (w) => ({ Id: w.stream }),
    shape: Object.assign({ RequestId: 'string' }, STREAM),
    invalid: [{ Id: 'stream' }, { Id: '1'.repeat(21) }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream } },
  { action: 'DescribeStreams',
    required: ['StartTime', 'StopTime'],
    ok: () => window(),
    shape: Object.assign({ Streams: [LISTED_STREAM] }, PAGE),
    invalid: [{ Status: 'online' }, { DeviceId: 'd' }, { GroupId: 'g' }, { PageSize: '0' },
      { PageSize: '101' }, { PageNum: '0' }],
    notFound: { param: 'GroupId', code: 'InvalidGroup.NotFound', of: (o) => o.rtmp,
      extra: window } },
  { action: 'DescribeStreamURL',
    required: ['Id', 'OutProtocol', 'AuthKey'],
    ok: (w) => ({ Id: w.stream, OutProtocol: 'flv', AuthKey: 'play-key' }),
    shape: { Url: 'string', ExpireTime: 'number', RequestId: 'string' },
    invalid: [{ Id: 'x' }, { OutProtocol: 'webrtc' }, { OutProtocol: 'FLV' },
      { Type: 'replay' }, { Expire: '0' }, { Expire: '604801' }, { Expire: '1h' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream,
      extra: () => ({ OutProtocol: 'flv', AuthKey: 'k' }) } },
  { action: 'StartStream',
    required: ['Id', 'AccessInfo'],
    ok: (w) => ({ Id: w.stream, AccessInfo: AI }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: '-5' }, { AccessInfo: '"s"' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream,
      extra: () => ({ AccessInfo: AI }) } },
  { action: 'StopStream',
    required: ['Id'],
    ok: (w) => ({ Id: w.stream }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: '0' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream } },
  { action: 'ForbidVsStream',
    required: ['Id'],
    ok: (w) => ({ Id: w.stream }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: '1e5' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream } },
  { action: 'ResumeVsStream',
    required: ['Id'],
    ok: (w) => ({ Id: w.stream }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: ' 1' }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream } },
  { action: 'ScreenShowStreams',
    required: [],
    ok: (w) => { F.live(w.t, w.stream); return {}; },
    shape: Object.assign({ Streams: [{ Id: 'string', Name: 'string', InProtocol: 'string',
      Url: 'string', DeviceName: 'string' }] }, PAGE),
    invalid: [{ GroupId: 'g' }, { PageSize: '0' }, { PageSize: '101' }, { PageNum: '0' }],
    notFound: { param: 'GroupId', code: 'InvalidGroup.NotFound', of: (o) => o.rtmp } },
  { action: 'ModifyStream',
    required: ['Id', 'GroupId', 'Name'],
    ok: (w) => ({ Id: w.stream, GroupId: w.rtmp, Name: '改名' }),
    shape: { Id: 'string', RequestId: 'string' },
    invalid: [{ Id: 'x' }, { GroupId: 'y' }, { Name: '名'.repeat(129) }],
    notFound: { param: 'Id', code: 'InvalidStream.NotFound', of: (o) => o.stream } },
];

test('the table covers every Action of sections 3 and 4 and the push URLs', () => {
  const names = ACTIONS.map((a) => a.action).sort();
  assert.deepEqual(names, ['BatchDeleteChannels', 'BatchStartStreams', 'BatchStopStreams',
    'CreateRtmpGroupStreamurl', 'CreateRtmpGroupStreamurls', 'DeleteChannel',
    'DescribeDeviceChannels', 'DescribeStream', 'DescribeStreamURL', 'DescribeStreams',
    'ForbidVsStream', 'ModifyStream', 'RefreshChannels', 'ResumeVsStream',
    'ScreenShowStreams', 'StartChannel', 'StartStream', 'StopChannel', 'StopStream']);
});

for (const a of ACTIONS) {
  test(`${a.action}: conformance`, async () => {
    const w = await world();
    const other = await world();
    const ok = a.ok(w);
    const opt = { method: a.method || 'GET' };
    // (2) every required parameter of the spec (actions.tsv), missing or empty
    for (const p of a.required) {
      for (const v of [undefined, '']) {
        const params = Object.assign({}, ok, { [p]: v });
        if (v === undefined) delete params[p];
        expectError(await w.call(a.action, params, opt), 400, 'MissingParameter',
          new RegExp(`\\b${p}\\b`));
      }
    }
    // (3) malformed or out-of-range values name their parameter
    for (const bad of a.invalid) {
      const [p] = Object.keys(bad);
      expectError(await w.call(a.action, Object.assign({}, ok, bad), opt), 400,
        'InvalidParameter', new RegExp(`\\b${p}\\b`));
    }
    // (4) an unknown id and (5) another tenant's: the same NotFound
    const nf = a.notFound;
    const extra = nf.extra ? nf.extra(w) : {};
    const messages = [];
    for (const id of [nf.unknown || UNKNOWN, nf.of(other)]) {
      const params = Object.assign({}, ok, extra, { [nf.param]: id });
      const r = await w.call(a.action, params, opt);
      if (nf.batch) {
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.Results.length, 1);
        assert.ok(r.json.Results[0].Error.startsWith(nf.code + ':'), r.body);
        messages.push(r.json.Results[0].Error.replace(/\d+/g, 'N'));
      } else {
        messages.push(expectError(r, 404, nf.code).Message.replace(/\d+/g, 'N'));
      }
    }
    assert.equal(messages[0], messages[1], 'no existence leak');
    // (1) the happy path, with every field of the spec's tables
    const body = await w.c.request(a.action, ok, opt);
    assertShape(body, a.shape);
    assert.match(body.RequestId, L.REQUEST_ID);
    if (body.Results) for (const res of body.Results) assert.equal(res.Error, undefined);
    // the other tenant's resources were untouched by all of this
    assert.equal(jobs(other, other.stream).length, 0);
    assert.equal(row(`SELECT name, enabled, desired FROM streams WHERE id = ${other.stream}`).join(),
      '推流测试,1,stopped');
  });
}

test('CreateRtmpGroupStreamurl: an rtmp stream with a sealed token per URL', async () => {
  const w = await world();
  assert.match(w.push.Id, /^\d{16}$/);
  const m = w.push.PushUrl.match(new RegExp(`^rtmp://${RTMP_RE}/cam/(\\d{16})\\?token=([0-9a-f]{32})$`));
  assert.ok(m, w.push.PushUrl);
  assert.equal(m[1], w.push.Id, 'Id is the new stream\'s id');
  const [proto, app, name, group, desired, status, enc, info] = row(`SELECT protocol, app, name,
    group_id, desired, status, HEX(push_token_enc), HEX(access_info_enc) FROM streams
    WHERE id = ${w.push.Id}`);
  assert.deepEqual([proto, app, name, group, desired, status],
    ['rtmp', 'cam', '推流测试', w.rtmp, 'stopped', 'off']);
  assert.ok(!enc.includes(Buffer.from(m[2]).toString('hex').toUpperCase()), 'token in clear');
  assert.ok(!info.includes(Buffer.from('sk-stream-secret').toString('hex').toUpperCase()),
    'AccessInfo in clear');
  assert.ok(enc.length >= 2 * (32 + 28) && info.length > 0);
  // DescribeStream unseals the same URL
  const s = await w.c.request('DescribeStream', { Id: w.push.Id });
  assert.equal(s.PushUrl, w.push.PushUrl);
  // a second URL has its own token
  const again = await w.c.request('CreateRtmpGroupStreamurl', { Id: w.rtmp, Name: '推流测试',
    AccessInfo: AI });
  assert.notEqual(again.PushUrl.split('token=')[1], m[2]);
});

test('CreateRtmpGroupStreamurl[s]: gb28181 spaces are refused, nothing is created', async () => {
  const w = await world();
  const before = L.sql(`SELECT COUNT(*) FROM streams WHERE tenant_id = ${w.t.tenantId}`);
  expectError(await w.call('CreateRtmpGroupStreamurl', { Id: w.gb, Name: 'n', AccessInfo: AI }),
    400, 'InvalidParameter', /\bId\b.*gb28181/);
  expectError(await w.call('CreateRtmpGroupStreamurls', { Id: w.gb,
    Name: '["a","b"]', AccessInfo: AI }), 400, 'InvalidParameter', /\bId\b/);
  expectError(await w.call('CreateRtmpGroupStreamurls', { Id: w.rtmp,
    Name: '["a",""]', AccessInfo: AI }), 400, 'InvalidParameter', /\bName\b/);
  assert.equal(L.sql(`SELECT COUNT(*) FROM streams WHERE tenant_id = ${w.t.tenantId}`), before);
});

test('CreateRtmpGroupStreamurls: one stream per name, in order, up to 100', async () => {
  const w = await world();
  const names = Array.from({ length: 100 }, (_, i) => `摄像头-${i}`);
  const r = await w.c.request('CreateRtmpGroupStreamurls', { Id: w.rtmp,
    Name: JSON.stringify(names), AccessInfo: AI }, { method: 'POST' });
  assert.equal(r.Results.length, 100);
  assert.equal(new Set(r.Results.map((x) => x.Id)).size, 100);
  for (const [i, x] of r.Results.entries()) {
    assert.match(x.PushUrl, new RegExp(`^rtmp://${RTMP_RE}/cam/${x.Id}\\?token=[0-9a-f]{32}$`));
    if (i % 33 === 0) {
      assert.equal(L.sql(`SELECT name FROM streams WHERE id = ${x.Id}`).trim(), names[i]);
    }
  }
});

test('StartStream/StopStream: desired state and a job in one transaction', async () => {
  const w = await world();
  let r = await w.c.request('StartStream', { Id: w.stream, AccessInfo: AI });
  assert.equal(r.Id, w.stream);
  assert.deepEqual(row(`SELECT desired, status FROM streams WHERE id = ${w.stream}`),
    ['started', 'off'], 'the API does not pretend the stream is on');
  assert.deepEqual(jobs(w, w.stream), ['stream.start']);
  const info = L.sql(`SELECT HEX(access_info_enc) FROM streams WHERE id = ${w.stream}`);
  assert.ok(!info.includes(Buffer.from('sk-stream-secret').toString('hex').toUpperCase()));
  // a repeated Start is covered by the pending job
  await w.c.request('StartStream', { Id: w.stream, AccessInfo: AI });
  assert.deepEqual(jobs(w, w.stream), ['stream.start']);
  r = await w.c.request('StopStream', { Id: w.stream });
  assert.equal(r.Id, w.stream);
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.stream}`)[0], 'stopped');
  await w.c.request('StartStream', { Id: w.stream, AccessInfo: AI });
  assert.deepEqual(jobs(w, w.stream), ['stream.start', 'stream.stop', 'stream.start'],
    'the last request wins when the jobs run in order');
  const payload = JSON.parse(L.sql(`SELECT payload FROM jobs WHERE target = ${w.stream}
    ORDER BY id LIMIT 1`));
  assert.match(payload.RequestId, L.REQUEST_ID);
});

test('StartStream: forbidden streams and halted spaces are refused; stop is not', async () => {
  const w = await world();
  await w.c.request('ForbidVsStream', { Id: w.stream });
  expectError(await w.call('StartStream', { Id: w.stream, AccessInfo: AI }), 409,
    'IncorrectStreamStatus', /forbidden/);
  await w.c.request('ResumeVsStream', { Id: w.stream });
  L.sql(`UPDATE spaces SET enabled = 0 WHERE id = ${w.rtmp}`);
  expectError(await w.call('StartStream', { Id: w.stream, AccessInfo: AI }), 409,
    'IncorrectGroupStatus', /halted/);
  expectError(await w.call('StartStream', { Id: w.stream, AccessInfo: '{}' }), 400,
    'InvalidParameter', /AccessInfo/);
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.stream}`)[0], 'stopped');
  assert.deepEqual(jobs(w, w.stream), ['stream.forbid'], 'refusals enqueue nothing');
  await w.c.request('StopStream', { Id: w.stream });
  assert.deepEqual(jobs(w, w.stream), ['stream.forbid', 'stream.stop']);
});

test('BatchStartStreams/BatchStopStreams: an Error per refused item, the rest done', async () => {
  const w = await world();
  const other = await world();
  const forbidden = F.stream(w.t, w.rtmp, { Enabled: false });
  const ids = [w.stream, 'abc', UNKNOWN, other.stream, forbidden, w.gbStream];
  let r = await w.c.request('BatchStartStreams', { Id: ids.join(','), AccessInfo: AI },
    { method: 'POST' });
  assert.deepEqual(r.Results.map((x) => x.Id), ids);
  const errs = r.Results.map((x) => (x.Error || '').split(':')[0]);
  assert.deepEqual(errs, ['', 'InvalidParameter', 'InvalidStream.NotFound',
    'InvalidStream.NotFound', 'IncorrectStreamStatus', '']);
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.stream}`)[0], 'started');
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.gbStream}`)[0], 'started');
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${forbidden}`)[0], 'stopped');
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${other.stream}`)[0], 'stopped');
  assert.deepEqual(jobs(w, w.gbStream), ['stream.start']);
  r = await w.c.request('BatchStopStreams', { Id: ids.join(',') });
  assert.deepEqual(r.Results.map((x) => (x.Error || '').split(':')[0]),
    ['', 'InvalidParameter', 'InvalidStream.NotFound', 'InvalidStream.NotFound', '', '']);
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.gbStream}`)[0], 'stopped');
  assert.deepEqual(jobs(w, forbidden), ['stream.stop']);
  assert.deepEqual(jobs(other, other.stream), []);
  // a bad AccessInfo fails the whole call before anything changes
  expectError(await w.call('BatchStartStreams', { Id: w.stream, AccessInfo: '{"a":1}' }), 400,
    'InvalidParameter', /AccessInfo/);
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.stream}`)[0], 'stopped');
});

test('DescribeStream: gb28181 and rtmp streams, every field', async () => {
  const w = await world();
  F.live(w.t, w.gbStream);
  L.sql(`UPDATE streams SET start_time = '2024-03-01 10:00:00',
    stop_time = '2024-03-01 09:00:00' WHERE id = ${w.gbStream}`);
  const g = await w.c.request('DescribeStream', { Id: w.gbStream });
  assert.equal(g.Protocol, 'gb28181');
  assert.equal(g.GroupId, w.gb);
  assert.equal(g.DeviceId, w.device);
  assert.equal(g.Status, 'on');
  assert.equal(g.Enabled, true);
  assert.equal(g.StartTime, '2024-03-01T10:00:00Z');
  assert.equal(g.StopTime, '2024-03-01T09:00:00Z');
  assert.equal(g.PushUrl, '', 'gb28181 streams are pulled, not pushed');
  assert.match(g.CreatedTime, TIME);
  const s = await w.c.request('DescribeStream', { Id: w.stream });
  assert.deepEqual([s.Name, s.App, s.Protocol, s.GroupId, s.DeviceId, s.Status,
    s.StartTime, s.StopTime], ['推流测试', 'cam', 'rtmp', w.rtmp, '', 'off', '', '']);
  assert.ok(Math.abs(Date.parse(s.CreatedTime) - Date.now()) < 120e3, s.CreatedTime);
});

test('DescribeStreams: the latest session or the creation must meet the window', async () => {
  const w = await world();
  const at = (s) => `'${s}'`;
  const mk = (name, start, stop, status = 'off') => {
    const id = F.stream(w.t, w.gb, { Name: name, Status: status });
    L.sql(`UPDATE streams SET start_time = ${start ? at(start) : 'NULL'},
      stop_time = ${stop ? at(stop) : 'NULL'}, created_at = '2019-06-01 00:00:00' WHERE id = ${id}`);
    return id;
  };
  const ended = mk('ended', '2020-01-01 10:00:00', '2020-01-01 11:00:00');
  const live = mk('live', '2020-01-01 10:00:00', null, 'on');
  const again = mk('restarted', '2020-01-02 00:00:00', '2020-01-01 11:00:00', 'on');
  const listed = async (from, to, extra = {}) => {
    const r = await w.c.request('DescribeStreams', Object.assign({ StartTime: from,
      StopTime: to, GroupId: w.gb }, extra));
    assert.equal(r.TotalCount, r.Streams.length);
    return r.Streams.map((s) => s.Id).sort();
  };
  const sorted = (...ids) => ids.sort();
  assert.deepEqual(await listed('2020-01-01T09:00:00Z', '2020-01-01T10:30:00Z'), sorted(ended, live));
  assert.deepEqual(await listed('2020-01-01T08:00:00Z', '2020-01-01T10:00:00Z'), [],
    'the window ends before the sessions begin');
  assert.deepEqual(await listed('2020-01-01T11:00:00Z', '2020-01-01T12:00:00Z'), sorted(ended, live));
  assert.deepEqual(await listed('2020-01-01T11:00:01Z', '2020-01-01T12:00:00Z'), [live]);
  assert.deepEqual(await listed('2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z'), sorted(live, again),
    'running sessions last until now');
  // never started: created in the window (the fixture's channel stream too)
  assert.deepEqual(await listed('2019-05-31T00:00:00Z', '2019-06-02T00:00:00Z'), []);
  const now = await listed(window().StartTime, window().StopTime);
  assert.deepEqual(now, sorted(w.gbStream, live, again), 'created now, or running');
  // the filters
  assert.deepEqual(await listed('2020-01-01T09:00:00Z', '2021-01-01T00:00:00Z',
    { Status: 'on' }), sorted(live, again));
  assert.deepEqual(await listed('2020-01-01T09:00:00Z', '2021-01-01T00:00:00Z',
    { Name: 'restart' }), [again]);
  assert.deepEqual(await listed(window().StartTime, window().StopTime,
    { DeviceId: w.device }), [w.gbStream]);
  assert.deepEqual(await listed(window().StartTime, window().StopTime, { App: 'other' }), []);
  const r = await w.c.request('DescribeStreams', Object.assign(window(), { App: 'cam' }));
  assert.deepEqual(r.Streams.map((s) => [s.Id, s.ChannelName, s.PushUrl]),
    [[w.stream, '', w.push.PushUrl]]);
  const ch = await w.c.request('DescribeStreams', Object.assign(window(), { DeviceId: w.device }));
  assert.equal(ch.Streams[0].ChannelName, '通道1');
});

test('DescribeStreams: time errors and a Name with LIKE wildcards', async () => {
  const w = await world();
  for (const [p, code] of [['StartTime', 'InvalidStartTime.Malformed'],
    ['StopTime', 'InvalidEndTime.Malformed']]) {
    for (const v of ['2020-01-01', '2020-01-01 00:00:00', '2020-02-30T00:00:00Z', 'now']) {
      expectError(await w.call('DescribeStreams', Object.assign(window(), { [p]: v })), 400,
        code, new RegExp(p));
    }
  }
  expectError(await w.call('DescribeStreams', { StartTime: '2020-01-01T00:00:00Z',
    StopTime: '2020-01-01T00:00:00Z' }), 400, 'InvalidEndTime.Mismatch', /StopTime/);
  expectError(await w.call('DescribeStreams', { StartTime: '2020-01-02T00:00:00Z',
    StopTime: '2020-01-01T00:00:00Z' }), 400, 'InvalidEndTime.Mismatch');
  const pct = F.stream(w.t, w.rtmp, { Name: '100%_满' });
  F.stream(w.t, w.rtmp, { Name: '100a满' });
  const r = await w.c.request('DescribeStreams', Object.assign(window(), { Name: '%_' }));
  assert.deepEqual(r.Streams.map((s) => s.Id), [pct]);
  const zh = await w.c.request('DescribeStreams', Object.assign(window(), { Name: '推流' }));
  assert.deepEqual(zh.Streams.map((s) => s.Name), ['推流测试']);
});

test('DescribeStreams and ScreenShowStreams: pagination edges', async () => {
  const w = await world();
  for (let i = 0; i < 3; i++) F.stream(w.t, w.rtmp, { Name: `s${i}`, Status: 'on' });
  F.live(w.t, w.gbStream);
  F.live(w.t, w.stream);
  for (const [action, base] of [['DescribeStreams', window()], ['ScreenShowStreams', {}]]) {
    const all = await w.c.request(action, base);
    assert.equal(all.TotalCount, 5, action);
    assert.equal(all.PageSize, 20);
    assert.equal(all.PageNum, 1);
    assert.equal(all.PageCount, 1);
    const p2 = await w.c.request(action, Object.assign({ PageSize: 2, PageNum: 2 }, base));
    assert.deepEqual(p2.Streams.map((s) => s.Id), all.Streams.slice(2, 4).map((s) => s.Id));
    assert.equal(p2.PageCount, 3);
    const past = await w.c.request(action, Object.assign({ PageSize: 2, PageNum: 4 }, base));
    assert.deepEqual(past.Streams, []);
    assert.equal(past.TotalCount, 5);
    assert.equal(past.PageCount, 3);
    assert.equal(past.PageNum, 4);
    const max = await w.c.request(action, Object.assign({ PageSize: 100 }, base));
    assert.equal(max.Streams.length, 5);
  }
});

// Checks a type-A signed URL against an independent computation.
function checkSigned(url, { origin, uri, key, uid, exp }) {
  const u = new URL(url);
  assert.equal(`${u.protocol}//${u.host}`, origin, url);
  assert.equal(u.pathname, uri);
  const [e, rand, id, hash] = u.searchParams.get('auth_key').split('-');
  assert.equal(Number(e), exp);
  assert.match(rand, /^[0-9a-f]{16}$/);
  assert.equal(Number(id), uid);
  assert.equal(hash, md5(`${uri}-${e}-${rand}-${id}-${key}`), url);
  return u;
}

test('DescribeStreamURL: type-A signed URLs for rtmp, flv and hls', async () => {
  const w = await world();
  const http = `http://127.0.0.1:${L.PORT}`;
  const cases = [
    ['rtmp', `rtmp://${RTMP_HOST}`, `/cam/${w.stream}`],
    ['flv', http, `/cam/${w.stream}.flv`],
    ['hls', http, `/cam/${w.stream}.m3u8`],
  ];
  for (const [proto, origin, uri] of cases) {
    const t0 = Math.floor(Date.now() / 1000);
    const r = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: proto,
      AuthKey: 'my-Key_1' });
    assert.ok(r.ExpireTime >= t0 + 3600 && r.ExpireTime <= t0 + 3602, String(r.ExpireTime));
    const u = checkSigned(r.Url, { origin, uri, key: 'my-Key_1', uid: 1, exp: r.ExpireTime });
    assert.equal([...u.searchParams.keys()].join(), 'auth_key');
  }
  // Expire, and a vod range carried as start/end
  const t0 = Math.floor(Date.now() / 1000);
  // vod of an RTMP stream carries the range; of a GB28181 channel, it is a
  // playback stream of its own (the same for the same range)
  const v = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'hls',
    AuthKey: 'my-Key_1', Expire: 604800, Type: 'vod', StartTime: 1571639499, EndTime: 1571643099 });
  assert.ok(v.ExpireTime >= t0 + 604800 && v.ExpireTime <= t0 + 604802);
  const vu = checkSigned(v.Url, { origin: http, uri: `/cam/${w.stream}.m3u8`, key: 'my-Key_1',
    uid: 1, exp: v.ExpireTime });
  assert.equal(vu.searchParams.get('start'), '1571639499');
  assert.equal(vu.searchParams.get('end'), '1571643099');
  const vod = { Id: w.gbStream, OutProtocol: 'hls', AuthKey: 'my-Key_1', Type: 'vod',
    StartTime: 1571639499, EndTime: 1571643099 };
  const r = await w.c.request('DescribeStreamURL', vod);
  const pb = new URL(r.Url).pathname.match(/^\/live\/(\d+)\.m3u8$/)[1];
  assert.notEqual(pb, w.gbStream);
  checkSigned(r.Url, { origin: http, uri: `/live/${pb}.m3u8`, key: 'my-Key_1', uid: 1,
    exp: r.ExpireTime });
  assert.deepEqual(row(`SELECT protocol, vod_start, vod_end, channel_id = (SELECT channel_id
    FROM streams WHERE id = ${w.gbStream}) FROM streams WHERE id = ${pb}`),
  ['gb28181', '1571639499', '1571643099', '1']);
  assert.equal(jobs(w, pb)[0], 'stream.start');
  const again = await w.c.request('DescribeStreamURL', vod);
  assert.equal(new URL(again.Url).pathname, `/live/${pb}.m3u8`, 'same range, same stream');
  // playback streams are not listed
  const listed = await w.c.request('DescribeStreams', Object.assign({ DeviceId: w.device },
    window()));
  assert.ok(!listed.Streams.some((x) => x.Id === pb));
  // two requests never share a rand
  const a = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'flv', AuthKey: 'k' });
  const b = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'flv', AuthKey: 'k' });
  assert.notEqual(a.Url, b.Url);
});

test('DescribeStreamURL: vod times, protocols of the space', async () => {
  const w = await world();
  const base = { Id: w.stream, OutProtocol: 'flv', AuthKey: 'k', Type: 'vod' };
  expectError(await w.call('DescribeStreamURL', Object.assign({ EndTime: '2' }, base)), 400,
    'MissingParameter', /StartTime/);
  expectError(await w.call('DescribeStreamURL', Object.assign({ StartTime: '1' }, base)), 400,
    'MissingParameter', /EndTime/);
  expectError(await w.call('DescribeStreamURL', Object.assign({ StartTime: 'yesterday',
    EndTime: '2' }, base)), 400, 'InvalidStartTime.Malformed', /StartTime/);
  expectError(await w.call('DescribeStreamURL', Object.assign({ StartTime: '1',
    EndTime: '2.5' }, base)), 400, 'InvalidEndTime.Malformed', /EndTime/);
  expectError(await w.call('DescribeStreamURL', Object.assign({ StartTime: '100',
    EndTime: '100' }, base)), 400, 'InvalidEndTime.Mismatch', /EndTime/);
  // live ignores the range
  const live = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'flv',
    AuthKey: 'k', StartTime: 'x' });
  assert.equal(new URL(live.Url).searchParams.get('start'), null);
  // only what the space serves
  L.sql(`UPDATE spaces SET out_protocol = 'hls' WHERE id = ${w.rtmp}`);
  for (const p of ['flv', 'rtmp']) {
    expectError(await w.call('DescribeStreamURL', { Id: w.stream, OutProtocol: p, AuthKey: 'k' }),
      400, 'InvalidParameter', /OutProtocol/);
  }
  await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'hls', AuthKey: 'k' });
});

test('DescribeStreamURL: each AuthKey gets a number 1..8, sealed; a ninth is refused', async () => {
  const w = await world();
  const uid = async (key) => {
    const r = await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'rtmp', AuthKey: key });
    return Number(new URL(r.Url).searchParams.get('auth_key').split('-')[2]);
  };
  // a failed request remembers no key
  await w.call('DescribeStreamURL', { Id: UNKNOWN, OutProtocol: 'rtmp', AuthKey: 'ghost' });
  assert.equal(L.sql(`SELECT COUNT(*) FROM play_auth_keys WHERE tenant_id = ${w.t.tenantId}`).trim(), '0');
  for (let i = 1; i <= 8; i++) assert.equal(await uid(`key-${i}`), i);
  assert.equal(await uid('key-3'), 3);
  const r = expectError(await w.call('DescribeStreamURL', { Id: w.stream, OutProtocol: 'rtmp',
    AuthKey: 'key-9' }), 403, 'Deny.TooMany.Stream', /AuthKey/);
  assert.ok(r.Message.includes('8'));
  assert.equal(await uid('key-1'), 1, 'known keys still work');
  const [enc, hash] = row(`SELECT HEX(auth_key_enc), HEX(auth_key_hash) FROM play_auth_keys
    WHERE tenant_id = ${w.t.tenantId} AND num = 5`);
  assert.equal(hash, crypto.createHash('sha256').update('key-5').digest('hex').toUpperCase());
  assert.ok(!enc.includes(Buffer.from('key-5').toString('hex').toUpperCase()), 'AuthKey in clear');
  // numbers are per tenant
  const other = await world();
  const o = await other.c.request('DescribeStreamURL', { Id: other.stream, OutProtocol: 'flv',
    AuthKey: 'key-7' });
  assert.equal(new URL(o.Url).searchParams.get('auth_key').split('-')[2], '1');
});

test('ForbidVsStream/ResumeVsStream: Enabled, and jobs for the media plane', async () => {
  const w = await world();
  await w.c.request('StartStream', { Id: w.gbStream, AccessInfo: AI });
  F.live(w.t, w.gbStream);
  let r = await w.c.request('ForbidVsStream', { Id: w.gbStream });
  assert.equal(r.Id, w.gbStream);
  r = await w.c.request('DescribeStream', { Id: w.gbStream });
  assert.equal(r.Enabled, false);
  assert.equal(r.Status, 'on', 'the edge, not the API, ends the session');
  assert.deepEqual(jobs(w, w.gbStream), ['stream.start', 'stream.forbid']);
  await w.c.request('ResumeVsStream', { Id: w.gbStream });
  assert.equal((await w.c.request('DescribeStream', { Id: w.gbStream })).Enabled, true);
  assert.deepEqual(jobs(w, w.gbStream), ['stream.start', 'stream.forbid', 'stream.start'],
    'a resumed stream that should run is started again');
  // a stopped stream is resumed without a job
  await w.c.request('ForbidVsStream', { Id: w.stream });
  await w.c.request('ResumeVsStream', { Id: w.stream });
  assert.deepEqual(jobs(w, w.stream), ['stream.forbid']);
});

test('ScreenShowStreams: online streams with a signed HTTP-FLV URL', async () => {
  const w = await world();
  const off = F.stream(w.t, w.rtmp, { Name: 'offline' });
  F.live(w.t, w.gbStream);
  F.live(w.t, w.stream);
  let r = await w.c.request('ScreenShowStreams', {});
  assert.equal(r.TotalCount, 2);
  assert.ok(!r.Streams.some((s) => s.Id === off));
  assert.deepEqual(r.Streams.map((s) => s.Url), ['', ''], 'no AuthKey yet: no URL');
  await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'rtmp', AuthKey: 'first' });
  await w.c.request('DescribeStreamURL', { Id: w.stream, OutProtocol: 'rtmp', AuthKey: 'second' });
  r = await w.c.request('ScreenShowStreams', { GroupId: w.gb });
  assert.equal(r.TotalCount, 1);
  const s = r.Streams[0];
  assert.deepEqual([s.Id, s.Name, s.InProtocol, s.DeviceName],
    [w.gbStream, L.sql(`SELECT name FROM streams WHERE id = ${w.gbStream}`).trim(), 'gb28181', '测试设备']);
  const exp = Number(new URL(s.Url).searchParams.get('auth_key').split('-')[0]);
  assert.ok(Math.abs(exp - (Date.now() / 1000 + 3600)) < 5);
  checkSigned(s.Url, { origin: `http://127.0.0.1:${L.PORT}`, uri: `/live/${w.gbStream}.flv`,
    key: 'first', uid: 1, exp });
  r = await w.c.request('ScreenShowStreams', { GroupId: w.rtmp });
  assert.deepEqual([r.Streams[0].Name, r.Streams[0].InProtocol, r.Streams[0].DeviceName],
    ['推流测试', 'rtmp', '']);
  // a space that serves no flv gives no URL
  L.sql(`UPDATE spaces SET out_protocol = 'hls,rtmp' WHERE id = ${w.rtmp}`);
  r = await w.c.request('ScreenShowStreams', { GroupId: w.rtmp });
  assert.equal(r.Streams[0].Url, '');
});

test('ModifyStream: renames within the given space only', async () => {
  const w = await world();
  await w.c.request('ModifyStream', { Id: w.stream, GroupId: w.rtmp, Name: '大门 #1 摄像头' });
  assert.equal((await w.c.request('DescribeStream', { Id: w.stream })).Name, '大门 #1 摄像头');
  expectError(await w.call('ModifyStream', { Id: w.stream, GroupId: w.gb, Name: 'x' }), 404,
    'InvalidStream.NotFound', /GroupId/);
  const other = await world();
  expectError(await w.call('ModifyStream', { Id: w.stream, GroupId: other.rtmp, Name: 'x' }), 404,
    'InvalidGroup.NotFound', /GroupId/);
  expectError(await w.call('ModifyStream', { Id: w.stream, GroupId: UNKNOWN, Name: 'x' }), 404,
    'InvalidGroup.NotFound', /GroupId/);
  assert.equal((await w.c.request('DescribeStream', { Id: w.stream })).Name, '大门 #1 摄像头');
});

test('DescribeDeviceChannels: fields, fuzzy Name, stream Status, pages', async () => {
  const w = await world();
  const more = [F.channel(w.t, w.gb, w.device, { Name: '东门_100%' }),
    F.channel(w.t, w.gb, w.device, { Name: '东门A1000', StreamStatus: 'on' }),
    F.channel(w.t, w.gb, w.device, { Name: '西门' })];
  let r = await w.c.request('DescribeDeviceChannels', { Id: w.device });
  assert.equal(r.TotalCount, 4);
  assert.deepEqual(r.Channels.map((c) => c.Id),
    [Number(w.channel), ...more.map((m) => m.channelId)]);
  const c0 = r.Channels[0];
  assert.deepEqual([c0.Name, c0.StreamId, c0.StreamStatus, c0.DeviceId, c0.DeviceStatus],
    ['通道1', w.gbStream, 'off', w.device, 'on']);
  assert.match(c0.GbId, /^\d{20}$/);
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, Name: '东门' });
  assert.equal(r.TotalCount, 2);
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, Name: '_100%' });
  assert.deepEqual(r.Channels.map((c) => c.Name), ['东门_100%'], 'wildcards are literal');
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, Status: 'on' });
  assert.deepEqual(r.Channels.map((c) => c.Name), ['东门A1000']);
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, Status: 'off' });
  assert.equal(r.TotalCount, 3);
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, PageSize: 3, PageNum: 2 });
  assert.deepEqual([r.Channels.length, r.PageCount, r.TotalCount, r.PageSize, r.PageNum],
    [1, 2, 4, 3, 2]);
  r = await w.c.request('DescribeDeviceChannels', { Id: w.device, PageSize: 3, PageNum: 9 });
  assert.deepEqual([r.Channels.length, r.PageCount, r.TotalCount], [0, 2, 4]);
  // a device without channels
  const bare = F.device(w.t, w.gb, { Status: 'off' });
  r = await w.c.request('DescribeDeviceChannels', { Id: bare });
  assert.deepEqual([r.Channels, r.TotalCount, r.PageCount], [[], 0, 0]);
});

test('DeleteChannel: refused while pulling or starting; deletes the stream too', async () => {
  const w = await world();
  L.sql(`INSERT INTO template_bindings (tenant_id, instance_type, instance_id, template_type,
    template_id) VALUES (${w.t.tenantId}, 'stream', ${w.gbStream}, 'record', 1)`);
  await w.c.request('StartChannel', { Id: w.channel, AccessInfo: AI });
  expectError(await w.call('DeleteChannel', { Id: w.channel }), 409, 'IncorrectStreamStatus',
    /stop/);
  await w.c.request('StopChannel', { Id: w.channel });
  F.live(w.t, w.gbStream);
  expectError(await w.call('DeleteChannel', { Id: w.channel }), 409, 'IncorrectStreamStatus');
  L.sql(`UPDATE streams SET status = 'off' WHERE id = ${w.gbStream}`);
  await w.c.request('DeleteChannel', { Id: w.channel });
  assert.equal(L.sql(`SELECT COUNT(*) FROM channels WHERE id = ${w.channel}`).trim(), '0');
  assert.equal(L.sql(`SELECT COUNT(*) FROM streams WHERE id = ${w.gbStream}`).trim(), '0');
  assert.equal(L.sql(`SELECT COUNT(*) FROM template_bindings WHERE instance_id = ${w.gbStream}`).trim(), '0');
  expectError(await w.call('DeleteChannel', { Id: w.channel }), 404, 'InvalidChannel.NotFound');
});

test('BatchDeleteChannels: an Error per refused item, the rest deleted', async () => {
  const w = await world();
  const other = await world();
  const busy = F.channel(w.t, w.gb, w.device, { StreamStatus: 'on' });
  const ids = [w.channel, 'x', UNKNOWN_CHANNEL, other.channel, String(busy.channelId)];
  const r = await w.c.request('BatchDeleteChannels', { Id: ids.join(',') });
  assert.deepEqual(r.Results.map((x) => x.Id),
    [Number(w.channel), 0, Number(UNKNOWN_CHANNEL), Number(other.channel), busy.channelId]);
  assert.deepEqual(r.Results.map((x) => (x.Error || '').split(':')[0]), ['', 'InvalidParameter',
    'InvalidChannel.NotFound', 'InvalidChannel.NotFound', 'IncorrectStreamStatus']);
  assert.equal(L.sql(`SELECT COUNT(*) FROM channels WHERE id IN (${w.channel})`).trim(), '0');
  assert.equal(L.sql(`SELECT COUNT(*) FROM streams WHERE id = ${w.gbStream}`).trim(), '0');
  assert.equal(L.sql(`SELECT COUNT(*) FROM channels WHERE id IN (${other.channel},
    ${busy.channelId})`).trim(), '2');
});

test('StartChannel/StopChannel: through the channel\'s stream', async () => {
  const w = await world();
  let r = await w.c.request('StartChannel', { Id: w.channel, AccessInfo: AI });
  assert.equal(r.Id, Number(w.channel));
  assert.equal(row(`SELECT desired FROM streams WHERE id = ${w.gbStream}`)[0], 'started');
  r = await w.c.request('StopChannel', { Id: w.channel });
  assert.equal(r.Id, Number(w.channel));
  assert.equal(row(`SELECT desired, status FROM streams WHERE id = ${w.gbStream}`).join(),
    'stopped,off');
  assert.deepEqual(jobs(w, w.gbStream), ['stream.start', 'stream.stop']);
  L.sql(`UPDATE spaces SET enabled = 0 WHERE id = ${w.gb}`);
  expectError(await w.call('StartChannel', { Id: w.channel, AccessInfo: AI }), 409,
    'IncorrectGroupStatus');
  L.sql(`UPDATE streams SET enabled = 0 WHERE id = ${w.gbStream}`);
  expectError(await w.call('StartChannel', { Id: w.channel, AccessInfo: AI }), 409,
    'IncorrectStreamStatus');
  assert.equal(jobs(w, w.gbStream).length, 2);
});

test('RefreshChannels: a catalog job for an online device only', async () => {
  const w = await world();
  const r = await w.c.request('RefreshChannels', { Id: w.device });
  assert.equal(r.Id, w.device);
  await w.c.request('RefreshChannels', { Id: w.device });
  assert.deepEqual(jobs(w, w.device), ['device.catalog'], 'one catalog query');
  for (const status of ['new', 'off', 'failed']) {
    const d = F.device(w.t, w.gb, { Status: status });
    expectError(await w.call('RefreshChannels', { Id: d }), 409, 'IncorrectDeviceStatus',
      /\bId\b/);
    assert.deepEqual(jobs(w, d), []);
  }
});

test('the operator acts on a tenant\'s streams with ResourceOwnerAccount', async () => {
  const w = await world();
  const r = await L.client(L.operator).request('DescribeStream', { Id: w.stream,
    ResourceOwnerAccount: w.t.user });
  assert.equal(r.Name, '推流测试');
  expectError(await L.call('DescribeStream', { Id: w.stream }), 400, 'MissingParameter',
    /ResourceOwnerAccount/);
});
