// The RTMP media plane against the stack: real ffmpeg pushes to the edge,
// ffprobe plays, vigil-api's internal endpoints allow or refuse.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const L = require('./lib');
const F = require('./fixtures');

const AI = JSON.stringify({ AccessKeyId: 'ak', AccessKeySecret: 'sk' });
const children = new Set();

// ffmpeg pushing a test pattern with sound for secs seconds; video: more
// options of the video encoder.
function push(url, secs = 30, video = []) {
  const p = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i',
    'testsrc=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', String(secs),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25',
    ...video, '-c:a', 'aac', '-f', 'flv', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr.resume();
  p.done = new Promise((resolve) => p.on('exit', (code, sig) => {
    children.delete(p);
    resolve(code === null ? sig : code);
  }));
  children.add(p);
  return p;
}

function killAll() {
  for (const p of children) p.kill('SIGKILL');
}

// Exit code of a push that should be refused, or 'running' after ms.
async function refusedPush(url, ms = 8000) {
  const p = push(url, 20);
  const r = await Promise.race([p.done, L.sleep(ms).then(() => 'running')]);
  p.kill('SIGKILL');
  return r;
}

// Video packets ffprobe reads in 2 s of url, or -1 when it fails.
function probe(url) {
  return new Promise((resolve) => {
    const p = spawn('ffprobe', ['-v', 'error', '-rw_timeout', '5000000',
      '-select_streams', 'v', '-count_packets', '-read_intervals', '%+2',
      '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', url],
    { stdio: ['ignore', 'pipe', 'ignore'] });
    children.add(p);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 15000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(p);
      const n = parseInt(out.trim(), 10);
      resolve(code === 0 && n > 0 ? n : -1);
    });
  });
}

async function world(o = {}) {
  const t = await F.tenant();
  const c = L.client(t.key);
  const ok = (action, params) => c.request(action, params, { method: 'POST' });
  const g = await ok('CreateGroup', { Name: 'media', Region: 'cn-shanghai',
    InProtocol: 'rtmp', OutProtocol: o.out || 'rtmp,flv,hls',
    Callback: o.callback || 'http://127.0.0.1:9/callback' });
  const newStream = async (name) => ok('CreateRtmpGroupStreamurl',
    { Id: g.Id, Name: name, AccessInfo: AI });
  const s = await newStream('cam');
  return { t, ok, group: g.Id, stream: s.Id, push: s.PushUrl, newStream,
    describe: (id = s.Id) => ok('DescribeStream', { Id: id }),
    url: async (proto, id = s.Id, extra = {}) => (await ok('DescribeStreamURL',
      Object.assign({ Id: id, OutProtocol: proto, AuthKey: 'play-key' }, extra))).Url };
}

async function waitStatus(w, status, ms = 10000) {
  return L.waitFor(async () => {
    const s = await w.describe();
    return s.Status === status ? s : null;
  }, ms, 50);
}

function get(url) {
  const u = new URL(url);
  return L.request('GET', u.search.slice(1), undefined, {},
    `${u.protocol}//${u.host}`, u.pathname);
}

// One hex digit of the auth_key's hash changed.
function tamper(url) {
  const u = new URL(url);
  const k = u.searchParams.get('auth_key');
  const last = k.slice(-1) === '0' ? '1' : '0';
  u.searchParams.set('auth_key', k.slice(0, -1) + last);
  return u.toString();
}

function withKeyOf(url, other) {
  const u = new URL(url);
  u.searchParams.set('auth_key', new URL(other).searchParams.get('auth_key'));
  return u.toString();
}

test('push, play over rtmp and hls, refused play URLs, status off after', async () => {
  const w = await world();
  const other = await w.newStream('other');
  try {
    assert.match(w.push, new RegExp(`^rtmp://127\\.0\\.0\\.1(:\\d+)?/live/${w.stream}\\?token=`));
    const t0 = Date.now();
    const p = push(w.push, 30);
    const on = await waitStatus(w, 'on');
    assert.ok(on, 'Status turns on');
    const start = Date.parse(on.StartTime);
    assert.ok(start >= Math.floor(t0 / 1000) * 1000 - 1000 && start <= Date.now(),
      on.StartTime);
    assert.equal(on.StopTime, '');
    // the status change is reported to the space's Callback from the outbox
    assert.match(L.sql(`SELECT body FROM outbox WHERE resource_id = ${w.stream}`),
      /"Event":"stream.on"/);

    const rtmp = await w.url('rtmp');
    const hls = await w.url('hls');
    assert.ok(await probe(rtmp) > 0, 'rtmp play');
    // the playlist exists once the first fragments are written
    const pl = await L.waitFor(async () => {
      const r = await get(hls);
      return r.status === 200 && /\.ts\?auth_key=/.test(r.body) ? r : null;
    }, 10000, 200);
    assert.ok(pl, 'hls playlist with signed segment URIs');
    assert.ok(await probe(hls) > 0, 'hls play');
    const seg = pl.body.split('\n').find((l) => /\.ts\?/.test(l));
    const segUrl = new URL(seg, hls).toString();
    assert.equal((await get(segUrl)).status, 200, 'segment with the playlist key');

    // expired, tampered, another stream's key: refused everywhere
    const expired = await w.url('hls', w.stream, { Expire: 1 });
    const expiredRtmp = await w.url('rtmp', w.stream, { Expire: 1 });
    const bad = [tamper(hls), withKeyOf(hls, await w.url('hls', other.Id))];
    const badRtmp = [tamper(rtmp), withKeyOf(rtmp, await w.url('rtmp', other.Id))];
    await L.sleep(2100);
    bad.push(expired);
    badRtmp.push(expiredRtmp);
    for (const u of bad) {
      assert.equal((await get(u)).status, 403, `playlist ${u}`);
      const s = new URL(seg.split('?')[0], u);
      s.search = new URL(u).search;
      assert.equal((await get(s.toString())).status, 403, `segment ${s}`);
    }
    assert.equal((await get(hls.split('?')[0])).status, 403, 'no auth_key');
    // HTTP-FLV is checked by nginx before mediad is asked
    const flv = await w.url('flv');
    const flvBad = [tamper(flv), withKeyOf(flv, await w.url('flv', other.Id)),
      await w.url('flv', w.stream, { Expire: 1 }), flv.split('?')[0]];
    await L.sleep(2100);
    for (const u of flvBad) assert.equal((await get(u)).status, 403, `flv ${u}`);
    assert.notEqual(await new Promise((resolve) => {
      // a valid key passes the check (whatever mediad then answers)
      const req = require('node:http').get(flv, (res) => { resolve(res.statusCode); req.destroy(); });
      req.on('error', () => resolve(0));
    }), 403, 'a valid flv key is not refused');
    for (const u of badRtmp) assert.equal(await probe(u), -1, `rtmp ${u}`);
    assert.match(L.accessLog(), new RegExp(`play live/${w.stream} .*refused: auth_key expired`));
    assert.match(L.accessLog(), /refused: auth_key hash mismatch/);

    // a second publisher while live
    assert.notEqual(await refusedPush(w.push), 'running', 'second publisher refused');
    assert.match(L.accessLog(), new RegExp(`publish live/${w.stream} .*already publishing`));
    assert.equal((await w.describe()).StartTime, on.StartTime, 'the first one goes on');

    p.kill('SIGINT');
    await p.done;
    const off = await waitStatus(w, 'off', 3000);
    assert.ok(off, 'Status turns off');
    assert.ok(Date.parse(off.StopTime) >= start, off.StopTime);
    assert.match(L.sql(`SELECT body FROM outbox WHERE resource_id = ${w.stream} ORDER BY id`),
      /stream.on.*\n.*stream.off/);
  } finally {
    killAll();
  }
});

test('refused pushes: wrong token, forbidden, halted space, suspended tenant', async () => {
  // one after the other: concurrent CreateMtsService can deadlock (reported)
  const a = await world();
  const b = await world();
  const c = await world();
  const forbidden = await a.newStream('forbidden');
  try {
    await a.ok('ForbidVsStream', { Id: forbidden.Id });
    await b.ok('HaltGroup', { Id: b.group });
    await L.client(L.operator).request('SuspendMtsService', { UserId: c.t.user },
      { method: 'POST' });
    const wrong = a.push.replace(/token=([0-9a-f])/, (m, d) => `token=${d === '0' ? '1' : '0'}`);
    const cases = [[a, a.stream, wrong, 'wrong token'],
      [a, forbidden.Id, forbidden.PushUrl, 'stream forbidden'],
      [b, b.stream, b.push, 'space halted'], [c, c.stream, c.push, 'tenant not open']];
    const results = await Promise.all(cases.map(([, , url]) => refusedPush(url)));
    for (let i = 0; i < cases.length; i++) {
      const [w, id, , why] = cases[i];
      assert.notEqual(results[i], 'running', why);
      assert.match(L.accessLog(), new RegExp(`publish live/${id} .*refused: ${why}`));
      assert.equal(L.sql(`SELECT status FROM streams WHERE id = ${id}`).trim(), 'off', why);
      void w;
    }
  } finally {
    killAll();
  }
});

// Kicks: the API enqueues stream.stop jobs, mediad claims them and drops the
// publishers through the edge's control API; on_publish_done turns them off.
test('HaltGroup drops every publisher of the space within a second or so', async () => {
  const a = await world();
  const b = await a.newStream('neighbour');
  const other = await world();
  try {
    const pa = push(a.push, 30);
    const pb = push(b.PushUrl, 30);
    const po = push(other.push, 30);
    assert.ok(await waitStatus(a, 'on'), 'a on');
    assert.ok(await L.waitFor(async () => (await a.describe(b.Id)).Status === 'on',
      10000, 50), 'b on');
    assert.ok(await waitStatus(other, 'on'), 'the other space on');
    const t0 = Date.now();
    await a.ok('HaltGroup', { Id: a.group });
    assert.ok(await waitStatus(a, 'off', 3000), 'a dropped');
    assert.ok(await L.waitFor(async () => (await a.describe(b.Id)).Status === 'off',
      3000, 50), 'b dropped');
    console.log(`# HaltGroup to both off: ${Date.now() - t0} ms`);
    assert.notEqual(await pa.done, 0, 'a pusher was cut');
    assert.notEqual(await pb.done, 0, 'b pusher was cut');
    for (const id of [a.stream, b.Id]) {
      assert.equal(L.sql(`SELECT state FROM jobs WHERE kind = 'stream.stop'
        AND target = ${id}`).trim(), 'done', 'mediad finished the job');
    }
    assert.equal((await other.describe(other.stream)).Status, 'on',
      'another space is untouched');
    po.kill('SIGINT');
  } finally {
    killAll();
  }
});

test('live streams: a stop job on SuspendMtsService', async () => {
  const w = await world();
  try {
    push(w.push, 30);
    assert.ok(await waitStatus(w, 'on'), 'on');
    await L.client(L.operator).request('SuspendMtsService', { UserId: w.t.user },
      { method: 'POST' });
    assert.equal(L.sql(`SELECT COUNT(*) FROM jobs WHERE kind = 'stream.stop'
      AND target = ${w.stream}`).trim(), '1', 'a stream.stop job');
  } finally {
    killAll();
  }
});

test('DescribeStreamURL: a protocol the space does not serve', async () => {
  const w = await world({ out: 'rtmp,flv' });
  const r = await L.call('DescribeStreamURL', { Id: w.stream, OutProtocol: 'hls',
    AuthKey: 'k' }, { key: w.t.key });
  assert.equal(r.status, 400, r.body);
  assert.equal(r.json.Code, 'InvalidParameter');
});

test('/internal/ is not served on the public port', async () => {
  // the edge's hooks have their own socket (tests/security/web.test.js)
  const r = await L.request('POST', '', 'call=publish&app=live&name=1&token=x',
    { 'content-type': 'application/x-www-form-urlencoded' }, L.ENDPOINT,
    '/internal/rtmp/publish');
  assert.equal(r.status, 404);
  // the auth check is only for nginx's own subrequests
  assert.equal((await get(`${L.ENDPOINT}/internal/auth/play`)).status, 404);
});

test('stream.on/stream.off reach the space\'s Callback in order, even sent while it was down',
  async () => {
    const crypto = require('node:crypto');
    const { receiver } = require('../tools/callback_receiver');
    const r = await receiver({ mode: 'ok' });
    await r.stop(); // dead while the events happen
    const w = await world({ callback: r.url });
    try {
      for (let i = 0; i < 2; i++) {
        const p = push(w.push, 30);
        assert.ok(await waitStatus(w, 'on'), `on ${i}`);
        p.kill('SIGINT');
        await p.done;
        assert.ok(await waitStatus(w, 'off', 5000), `off ${i}`);
      }
      await r.start();
      assert.ok(await L.waitFor(() => r.accepted.length >= 4, 20000, 100),
        `${r.accepted.length} of 4 events after the receiver came back`);
      const got = r.accepted.map((e) => e.json);
      assert.deepEqual(got.map((e) => e.Event),
        ['stream.on', 'stream.off', 'stream.on', 'stream.off']);
      for (const e of got) {
        assert.equal(e.StreamId, w.stream);
        assert.equal(e.GroupId, w.group);
      }
      assert.equal(new Set(got.map((e) => e.EventId)).size, 4, 'distinct EventIds');
      for (const e of r.accepted) {
        const want = crypto.createHmac('sha256', w.t.key.secret).update(e.body).digest('hex');
        assert.equal(e.headers['x-signature'], want, 'X-Signature');
      }
    } finally {
      killAll();
      await r.close();
    }
  });

test('metering: mediad writes bytes in, RTMP and FLV bytes out and FLV viewer sessions', async () => {
  const w = await world();
  try {
    push(w.push, 30);
    assert.ok(await waitStatus(w, 'on'), 'on');
    assert.ok(await probe(await w.url('rtmp')) > 0, 'an RTMP viewer');
    assert.ok(await probe(await w.url('flv')) > 0, 'an FLV viewer');
    const usage = () => L.sql(`SELECT SUM(bytes_in), SUM(bytes_out_rtmp),
      SUM(bytes_out_flv), MAX(peak_viewers) FROM stream_usage
      WHERE stream_id = ${w.stream}`).trim().split('\t').map(Number);
    // mediad flushes its counters every 10 s
    const u = await L.waitFor(() => {
      const v = usage();
      return v[0] > 0 && v[1] > 0 && v[2] > 0 ? v : null;
    }, 25000, 500);
    assert.ok(u, `stream_usage ${usage()}`);
    // a 640x360 test pattern for a few seconds: bytes in the tens of kB at least
    assert.ok(u[0] > 20000, `bytes_in ${u[0]}`);
    assert.ok(u[3] >= 1, 'peak viewers');
    const s = L.sql(`SELECT protocol, bytes > 0, ended_at IS NOT NULL FROM viewer_sessions
      WHERE stream_id = ${w.stream}`).trim();
    assert.match(s, /^flv\t1\t1$/m, `viewer_sessions: ${s}`);
    assert.equal(L.sql(`SELECT tenant_id FROM stream_usage WHERE stream_id = ${w.stream}
      LIMIT 1`).trim(), String(w.t.tenantId), 'the tenant is recorded');
  } finally {
    killAll();
  }
});

test('DescribeStream shows the codec, profile and size; a profile browsers cannot decode is logged', async () => {
  const w = await world();
  const other = await w.newStream('hi444');
  const fs = require('node:fs');
  const log = `${L.VAR}/log/vigil-mediad.log`;
  // sizes of whole macroblocks: nginx-rtmp reads SPS cropping wrongly
  const p1 = push(w.push, 20, ['-s', '640x480', '-pix_fmt', 'yuv420p']);
  const p2 = push(other.PushUrl, 20, ['-pix_fmt', 'yuv444p', '-s', '320x240']);
  const seen = async (id, profile) => L.waitFor(async () => {
    const s = await w.describe(id);
    return s.Status === 'on' && profile.test(s.VideoProfile) ? s : null;
  }, 15000, 200);
  // testsrc is RGB: without yuv420p libx264 makes High 4:4:4 Predictive.
  // ultrafast makes Constrained Baseline; nginx-rtmp names only Baseline,
  // Main and High: any other H.264 profile is "Other"
  let s = await seen(w.stream, /^(Baseline|Main|High)$/);
  assert.ok(s, 'the normal stream is described');
  assert.equal(s.VideoCodec, 'H264');
  assert.equal(s.Width, 640);
  assert.equal(s.Height, 480);
  s = await seen(other.Id, /^Other$/);
  assert.ok(s, 'the 4:4:4 stream is described');
  assert.equal(s.VideoCodec, 'H264');
  assert.equal(s.Width, 320);
  assert.equal(s.Height, 240);
  assert.ok(await L.waitFor(() => fs.readFileSync(log, 'utf8').includes(
    `/${other.Id}: H264 Other 320x240, browsers cannot decode it`), 5000));
  assert.ok(!fs.readFileSync(log, 'utf8').includes(`/${w.stream}: H264`));
  p1.kill('SIGKILL');
  p2.kill('SIGKILL');
  s = await waitStatus(w, 'off', 20000);
  assert.ok(s, 'the stream went off');
  assert.equal(s.VideoCodec, '');
  assert.equal(s.Width, 0);
});
