// GB28181 end to end: the C device simulator (tests/tools/gbsim) registers
// with the real sipd, answers catalog queries and INVITEs with PS over RTP
// to the real mediad, which republishes to the edge; ffprobe plays.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const L = require('./lib');
const F = require('./fixtures');

const SIP_PORT = Number(process.env.VIGIL_SIP_PORT || 5060);
const GBSIM = path.join(L.ROOT, 'tests/tools/gbsim');
const AI = JSON.stringify({ AccessKeyId: 'ak', AccessKeySecret: 'sk' });
const children = new Set();
let media;

test.before(() => {
  media = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-gb-'));
  execFileSync(path.join(L.ROOT, 'tests/tools/gbsim-media.sh'), [media],
    { stdio: 'ignore' });
});

test.after(() => {
  for (const p of children) p.kill('SIGKILL');
  if (media) fs.rmSync(media, { recursive: true, force: true });
});

const digits = (n) => Array.from(crypto.randomBytes(n), (b) => b % 10).join('');

// The simulator as a child: its event lines, and a wait for one of them.
function gbsim(args) {
  const p = spawn(GBSIM, ['--server', `127.0.0.1:${SIP_PORT}`].concat(args),
    { stdio: ['ignore', 'pipe', 'pipe'] });
  p.lines = [];
  p.waiters = [];
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      p.lines.push(line);
      p.waiters = p.waiters.filter((w) => !(w.re.test(line) && (w.resolve(line), true)));
    }
  });
  p.stderr.resume();
  p.done = new Promise((resolve) => p.on('exit', (code, sig) => {
    children.delete(p);
    resolve(code === null ? sig : code);
  }));
  // the next line matching re (or one already seen after index from)
  p.wait = (re, ms = 10000, from = 0) => {
    const seen = p.lines.slice(from).find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const w = { re, resolve };
      p.waiters.push(w);
      setTimeout(() => resolve(null), ms);
    });
  };
  p.stop = () => { p.kill('SIGTERM'); return p.done; };
  children.add(p);
  return p;
}

// Video packets ffprobe reads in 2 s of url, or -1 when it fails.
function probe(url, extra = []) {
  return new Promise((resolve) => {
    const p = spawn('ffprobe', ['-v', 'error', '-rw_timeout', '5000000']
      .concat(extra, ['-select_streams', 'v', '-count_packets', '-read_intervals',
        '%+2', '-show_entries', 'stream=codec_name,nb_read_packets', '-of',
        'csv=p=0', url]), { stdio: ['ignore', 'pipe', 'ignore'] });
    children.add(p);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(p);
      const [codec, n] = out.trim().split(',');
      resolve(code === 0 && parseInt(n, 10) > 0 ? { codec, n: parseInt(n, 10) } : null);
    });
  });
}

function get(url) {
  const u = new URL(url);
  return L.request('GET', u.search.slice(1), undefined, {},
    `${u.protocol}//${u.host}`, u.pathname);
}

// A tenant, a gb28181 space and devices created through the API.
async function world(o = {}) {
  const t = await F.tenant();
  const c = L.client(t.key);
  const ok = (action, params) => c.request(action, params, { method: 'POST' });
  const g = await ok('CreateGroup', { Name: 'gb', Region: 'cn-shanghai',
    InProtocol: 'gb28181', OutProtocol: 'flv,hls,rtmp',
    LazyPull: o.lazy ? 'true' : 'false',
    Callback: 'http://127.0.0.1:9/callback' });
  const w = { t, ok, group: g.Id, gbId: g.GbId };
  w.device = async (d = {}) => {
    const gbId = d.GbId || '3402000000132' + digits(7);
    const password = d.Password || 'pw-' + digits(6);
    const params = { GroupId: g.Id, Name: d.Name || 'cam', Type: d.Type || 'ipc',
      GbId: gbId, Username: gbId, Password: password,
      AutoStart: d.AutoStart ? 'true' : 'false' };
    for (const k of ['AutoPos', 'PosInterval', 'AlarmMethod']) {
      if (d[k] !== undefined) params[k] = String(d[k]);
    }
    if (d.Params) params.Params = JSON.stringify(d.Params);
    const r = await ok('CreateDevice', params);
    return { id: r.Id, gbId, password };
  };
  w.sim = (dev, args = []) => gbsim(['--server-id', g.GbId, '--device-id', dev.gbId,
    '--password', dev.password, '--keepalive', '1'].concat(args));
  w.status = async (id) => (await ok('DescribeDevice', { Id: id })).Status;
  w.channels = async (id) => (await ok('DescribeDeviceChannels', { Id: id })).Channels || [];
  w.stream = (id) => ok('DescribeStream', { Id: id });
  w.url = async (proto, id, extra = {}) => (await ok('DescribeStreamURL',
    Object.assign({ Id: id, OutProtocol: proto, AuthKey: 'gb-key' }, extra))).Url;
  return w;
}

const waitFor = (fn, ms = 15000, step = 100) => L.waitFor(fn, ms, step);

async function waitDevice(w, id, status, ms = 15000) {
  return waitFor(async () => ((await w.status(id)) === status ? status : null), ms);
}

async function waitStream(w, id, status, ms = 20000) {
  return waitFor(async () => {
    const s = await w.stream(id);
    return s.Status === status ? s : null;
  }, ms, 200);
}

// The stream of a device's first channel, once the catalog made it.
async function firstStream(w, dev) {
  return waitFor(() => L.sql(`SELECT s.id FROM streams s JOIN channels c
    ON c.stream_id = s.id WHERE c.device_id = ${dev.id} ORDER BY c.id LIMIT 1`)
    .trim() || null);
}

// A registered device with one H.264 channel: its simulator and stream.
async function online(w) {
  const dev = await w.device();
  const sim = w.sim(dev, ['--channels', '1', '--video', path.join(media, 'h264.h264')]);
  assert.ok(await waitDevice(w, dev.id, 'on'), 'device on');
  return { dev, sim, sid: await firstStream(w, dev) };
}

test('register turns the device on, the catalog makes channels and streams', async () => {
  const w = await world();
  const dev = await w.device();
  assert.equal(await w.status(dev.id), 'new');
  const sim = w.sim(dev, ['--channels', '5', '--catalog-split', '2',
    '--vendor', 'Hikvision', '--model', 'DS-2CD2T47', '--firmware', 'V5.5.0']);
  try {
    assert.ok(await sim.wait(/^registered /), 'registered');
    assert.ok(await waitDevice(w, dev.id, 'on'), 'device on');
    assert.match(L.sql(`SELECT body FROM outbox WHERE resource_id = ${dev.id}`),
      /"Event":"device.on"/);
    const chans = await waitFor(async () => {
      const c = await w.channels(dev.id);
      return c.length === 5 ? c : null;
    });
    assert.ok(chans, 'five channels from a catalog in three messages');
    const streams = L.sql(`SELECT COUNT(*) FROM streams WHERE device_id = ${dev.id}
      AND protocol = 'gb28181'`).trim();
    assert.equal(streams, '5', 'one stream per channel');
    assert.ok(await waitFor(() => L.sql(`SELECT vendor, model, firmware FROM devices
      WHERE id = ${dev.id}`).includes('DS-2CD2T47') || null), 'DeviceInfo stored');
  } finally {
    await sim.stop();
  }
  assert.ok(await waitDevice(w, dev.id, 'off'), 'unregister turns it off');
});

test('a GB2312 catalog keeps its Chinese channel names', async () => {
  const w = await world();
  const dev = await w.device();
  const sim = w.sim(dev, ['--channels', '2', '--gb2312']);
  try {
    const chans = await waitFor(async () => {
      const c = await w.channels(dev.id);
      return c.length === 2 ? c : null;
    });
    assert.ok(chans, 'channels');
    assert.ok(chans.every((c) => /通道/.test(c.Name)), JSON.stringify(chans));
  } finally {
    await sim.stop();
  }
});

async function playCase(w, dev, simArgs, check) {
  const sim = w.sim(dev, ['--channels', '1'].concat(simArgs));
  try {
    assert.ok(await waitDevice(w, dev.id, 'on'), 'device on');
    const sid = await firstStream(w, dev);
    assert.ok(sid, 'stream from the catalog');
    await w.ok('StartDevice', { Id: dev.id, AccessInfo: AI });
    assert.ok(await sim.wait(/^invite /, 15000), 'INVITE reaches the device');
    const on = await waitStream(w, sid, 'on');
    assert.ok(on, 'stream on');
    await check(sid, sim);
    const n = sim.lines.length;
    await w.ok('StopDevice', { Id: dev.id });
    assert.ok(await sim.wait(/^bye /, 15000, n), 'BYE reaches the device');
    assert.ok(await waitStream(w, sid, 'off'), 'stream off');
    assert.ok(await waitFor(() => (L.sql(`SELECT COUNT(*) FROM gb_sessions
      WHERE stream_id = ${sid}`).trim() === '0') || null), 'session closed');
  } finally {
    await sim.stop();
  }
}

test('H.264 over UDP: rtmp, flv and hls play; StopDevice sends BYE', async () => {
  const w = await world();
  const dev = await w.device();
  await playCase(w, dev, ['--video', path.join(media, 'h264.h264'),
    '--audio', path.join(media, 'audio.alaw')], async (sid, sim) => {
    assert.match(sim.lines.find((l) => l.startsWith('invite ')), / udp /);
    for (const proto of ['rtmp', 'flv', 'hls']) {
      const url = await w.url(proto, sid);
      const r = await waitFor(() => probe(url), 20000, 500);
      assert.ok(r, `${proto} plays`);
      assert.equal(r.codec, 'h264', proto);
    }
  });
});

test('H.264 over TCP (passive): plays', async () => {
  const w = await world();
  const dev = await w.device({ Params: { MediaTransport: 'tcp' } });
  await playCase(w, dev, ['--video', path.join(media, 'h264.h264'),
    '--audio', path.join(media, 'audio.alaw')], async (sid, sim) => {
    assert.match(sim.lines.find((l) => l.startsWith('invite ')), / tcp /);
    for (const proto of ['rtmp', 'flv']) {
      const url = await w.url(proto, sid);
      assert.ok(await waitFor(() => probe(url), 20000, 500), `${proto} plays`);
    }
  });
});

test('H.265: flv (codec id 12) and hls', async () => {
  const w = await world();
  const dev = await w.device();
  await playCase(w, dev, ['--video', path.join(media, 'h265.h265'),
    '--audio', path.join(media, 'audio.alaw')], async (sid) => {
    const hls = await w.url('hls', sid);
    const r = await waitFor(() => probe(hls), 25000, 500);
    assert.ok(r, 'hls plays');
    assert.equal(r.codec, 'hevc');
    // FLV: header, then a video tag whose first byte has codec id 12
    const flv = await w.url('flv', sid);
    const bytes = await new Promise((resolve) => {
      const http = require('node:http');
      const req = http.get(flv, (res) => {
        let b = Buffer.alloc(0);
        res.on('data', (d) => {
          b = Buffer.concat([b, d]);
          if (b.length > 4096) { req.destroy(); resolve(b); }
        });
        res.on('end', () => resolve(b));
      });
      req.on('error', () => resolve(Buffer.alloc(0)));
    });
    assert.equal(bytes.subarray(0, 3).toString(), 'FLV');
    let off = 9 + 4;
    let found = false;
    while (off + 11 < bytes.length) {
      const type = bytes[off];
      const size = bytes.readUIntBE(off + 1, 3);
      if (type === 9) { found = (bytes[off + 11] & 0x0f) === 12; break; }
      off += 11 + size + 4;
    }
    assert.ok(found, 'first video tag has codec id 12');
  });
});

test('wrong password five times locks the device until UnlockDevice', async () => {
  const w = await world();
  const dev = await w.device();
  for (let i = 0; i < 5; i++) {
    const sim = w.sim(dev, ['--wrong-password', '--channels', '1']);
    assert.ok(await sim.wait(/^register-failed /, 10000), `attempt ${i + 1} refused`);
    await sim.stop();
  }
  assert.ok(await waitDevice(w, dev.id, 'failed'), 'locked');
  assert.match(L.sql(`SELECT body FROM outbox WHERE resource_id = ${dev.id}`),
    /"Event":"device.failed"/);
  // the right password is refused too while locked
  let sim = w.sim(dev, ['--channels', '1']);
  assert.ok(await sim.wait(/^register-failed /, 10000), 'locked refuses');
  await sim.stop();
  await w.ok('UnlockDevice', { Id: dev.id });
  sim = w.sim(dev, ['--channels', '1']);
  try {
    assert.ok(await sim.wait(/^registered /, 10000), 'registers after unlock');
    assert.ok(await waitDevice(w, dev.id, 'on'));
  } finally {
    await sim.stop();
  }
});

test('REGISTER refused (403): unknown device, another space, halted space, suspended tenant', async () => {
  const w = await world();
  const other = await world();
  const dev = await w.device();
  const refused = async (args, why) => {
    const sim = gbsim(args.concat(['--keepalive', '1', '--channels', '1']));
    const line = await sim.wait(/^(registered|register-failed) /, 10000);
    await sim.stop();
    assert.match(line || '', /^register-failed \d+ 403$/, why);
  };
  await refused(['--server-id', w.gbId, '--device-id', '3402000000132' + digits(7),
    '--password', 'x'], 'unknown device');
  await refused(['--server-id', other.gbId, '--device-id', dev.gbId,
    '--password', dev.password], "another space's id");
  await w.ok('HaltGroup', { Id: w.group });
  await refused(['--server-id', w.gbId, '--device-id', dev.gbId,
    '--password', dev.password], 'halted space');
  await w.ok('EnableGroup', { Id: w.group });
  const ok = w.sim(dev, ['--channels', '1']);
  assert.ok(await ok.wait(/^registered /), 'registers once the space runs');
  await ok.stop();
  const r = await L.call('SuspendMtsService', { UserId: w.t.user });
  assert.equal(r.status, 200, r.body);
  await refused(['--server-id', w.gbId, '--device-id', dev.gbId,
    '--password', dev.password], 'suspended tenant');
  assert.equal(L.sql(`SELECT auth_failures FROM devices WHERE id = ${dev.id}`).trim(), '0',
    'refusals are not failed authentications');
});

test('keepalives stop: off within three intervals', async () => {
  const w = await world();
  const dev = await w.device();
  const sim = w.sim(dev, ['--channels', '1', '--stop-keepalive-after', '2']);
  try {
    assert.ok(await waitDevice(w, dev.id, 'on'));
    const t0 = Date.now();
    assert.ok(await waitDevice(w, dev.id, 'off', 15000), 'off');
    // keepalives stop 2 s in; 3 missed 1 s intervals (+ the 1 s sweep)
    assert.ok(Date.now() - t0 < 8000, `${Date.now() - t0} ms`);
    assert.match(L.sql(`SELECT body FROM outbox WHERE resource_id = ${dev.id}`),
      /"Event":"device.off"/);
  } finally {
    await sim.stop();
  }
});

test('LazyPull: a viewer starts the stream, it stops after the last one left', async () => {
  const w = await world({ lazy: true });
  const { sim, sid } = await online(w);
  try {
    const flv = await w.url('flv', sid);
    assert.equal((await w.stream(sid)).Status, 'off');
    // the first request finds nothing yet, but starts the stream
    await get(flv);
    assert.ok(await sim.wait(/^invite /, 15000), 'INVITE on the first viewer');
    assert.ok(await waitStream(w, sid, 'on'), 'on');
    assert.ok(await waitFor(() => probe(flv), 20000, 500), 'plays');
    const n = sim.lines.length;
    // lazy_idle is 3 s in the test stack
    assert.ok(await sim.wait(/^bye /, 20000, n), 'BYE after idle');
    assert.ok(await waitStream(w, sid, 'off'), 'off');
  } finally {
    await sim.stop();
  }
});

test('LazyPull: HLS viewers (playlist requests) keep the stream up', async () => {
  const w = await world({ lazy: true });
  const { sim, sid } = await online(w);
  try {
    const hls = await w.url('hls', sid);
    await get(hls);
    assert.ok(await waitStream(w, sid, 'on'), 'the first playlist request starts it');
    // an HLS player refreshes the playlist every segment: for 3 idle
    // periods (lazy_idle is 3 s in the test stack) the stream stays up
    const n = sim.lines.length;
    for (let i = 0; i < 9; i++) {
      await get(hls);
      await L.sleep(1000);
    }
    assert.equal((await w.stream(sid)).Status, 'on', 'watched over HLS');
    assert.equal(sim.lines.slice(n).filter((l) => l.startsWith('bye ')).length, 0);
    assert.ok(await sim.wait(/^bye /, 20000, n), 'BYE once the HLS viewer left');
  } finally {
    await sim.stop();
  }
});

test('playback: DescribeStreamURL Type=vod INVITEs s=Playback with the range', async () => {
  const w = await world();
  const { sim, sid } = await online(w);
  let vid;
  try {
    const from = Math.floor(Date.now() / 1000) - 3600;
    const url = await w.url('flv', sid, { Type: 'vod', StartTime: from, EndTime: from + 600 });
    vid = new URL(url).pathname.match(/\/(\d+)\.flv$/)[1];
    assert.notEqual(vid, sid, 'a stream of its own');
    const inv = await sim.wait(/^invite .* playback/, 15000);
    assert.ok(inv, 'INVITE s=Playback');
    assert.ok(await waitFor(() => probe(url), 20000, 500), 'playback plays');
    const row = L.sql(`SELECT vod_start, vod_end FROM streams WHERE id = ${vid}`).trim();
    assert.equal(row, `${from}\t${from + 600}`);
  } finally {
    await sim.stop();
  }
  // the device is gone, the playback ends and its temporary stream with it
  assert.ok(await waitFor(() => (L.sql(`SELECT COUNT(*) FROM streams
    WHERE id = ${vid}`).trim() === '0') || null, 20000, 200), 'temporary stream deleted');
});

test('AutoPos and AlarmMethod: positions and alarms stored, alarm callbacks', async () => {
  const w = await world();
  const dev = await w.device({ AutoPos: true, PosInterval: 1, AlarmMethod: '0' });
  const sim = w.sim(dev, ['--channels', '1', '--alarm-after', '2']);
  try {
    assert.ok(await sim.wait(/^subscribe .*MobilePosition/, 15000), 'MobilePosition subscribed');
    assert.ok(await sim.wait(/^subscribe .*Alarm/, 15000), 'Alarm subscribed');
    assert.ok(await waitFor(() => (Number(L.sql(`SELECT COUNT(*) FROM gb_positions
      WHERE device_id = ${dev.id}`).trim()) >= 2) || null), 'positions stored');
    const d = await w.ok('DescribeDevice', { Id: dev.id });
    assert.ok(d.Longitude !== '' && d.Latitude !== '', JSON.stringify(d));
    assert.equal(L.sql(`SELECT CONCAT(longitude, ',', latitude) FROM gb_positions
      WHERE device_id = ${dev.id} ORDER BY id DESC LIMIT 1`).trim(),
    `${d.Longitude},${d.Latitude}`, 'the device follows its newest position');
    assert.ok(await sim.wait(/^alarm /, 15000), 'the device sent an alarm');
    assert.ok(await waitFor(() => (L.sql(`SELECT COUNT(*) FROM gb_alarms
      WHERE device_id = ${dev.id}`).trim() === '1') || null), 'alarm stored');
    const ev = await waitFor(() => L.sql(`SELECT body FROM outbox WHERE group_id = ${w.group}
      AND body LIKE '%"Event":"alarm"%'`).trim() || null);
    assert.ok(ev, 'alarm callback queued');
    const body = JSON.parse(ev.split('\n')[0]);
    assert.equal(body.DeviceId, dev.id);
    assert.ok(body.Alarm && body.Alarm.Time, ev);
  } finally {
    await sim.stop();
  }
});

test("a session row of mediad's own that it does not hold is ended (an end not recorded)", async () => {
  const w = await world();
  const dev = await w.device();
  const { streamId } = F.channel(w.t, w.group, dev.id);
  // the owner mediad writes: "<host>:<worker pid>", from its log line
  const log = fs.readFileSync(path.join(L.VAR, 'log/vigil-mediad.log'), 'utf8');
  const owner = [...log.matchAll(/serving HTTP-FLV on \S+ as (\S+)/g)].pop()[1];
  F.live(w.t, streamId);
  L.sql(`UPDATE gb_sessions SET media_owner = '${owner}' WHERE stream_id = ${streamId}`);
  // ended: off, and the session handed to sipd to BYE (which deletes it)
  assert.ok(await waitFor(() => (L.sql(`SELECT status FROM streams
    WHERE id = ${streamId}`).trim() === 'off') || null, 20000, 500), 'off');
  assert.match(L.sql(`SELECT kind FROM jobs WHERE target = ${streamId}`), /gb\.bye/);
  assert.notEqual(L.sql(`SELECT state FROM gb_sessions WHERE stream_id = ${streamId}`)
    .trim(), 'playing');
});

test('100 devices in one simulator all register with their channels', async () => {
  const w = await world();
  const base = '3402000000132' + digits(1) + '00000';
  const password = 'pw-many';
  const devs = [];
  for (let i = 0; i < 100; i++) {
    const gbId = base.slice(0, 14) + String(i + 1).padStart(6, '0');
    devs.push(await w.device({ GbId: gbId, Password: password }));
  }
  const sim = gbsim(['--server-id', w.gbId, '--device-id', devs[0].gbId,
    '--count', '100', '--password', password, '--channels', '2',
    '--keepalive', '1', '--quiet']);
  try {
    const ids = devs.map((d) => d.id).join(',');
    assert.ok(await waitFor(() => (L.sql(`SELECT COUNT(*) FROM devices
      WHERE id IN (${ids}) AND status = 'on'`).trim() === '100') || null, 30000, 500),
    'all 100 on');
    assert.ok(await waitFor(() => (L.sql(`SELECT COUNT(*) FROM channels
      WHERE device_id IN (${ids})`).trim() === '200') || null, 30000, 500),
    'all 200 channels');
  } finally {
    await sim.stop();
  }
});
