// Callbacks (NOTES section 6): vigil-notifyd delivers the outbox to each
// space's Callback URL, signed with the tenant's secret, at least once, in
// order per resource, with backoff retries; a slow or dead receiver holds up
// no one else, and two dispatchers never deliver a row twice.
//
// Events come from the real outbox_add (tests/db/test_outbox add ...) and,
// for batches, from SQL rows of the same shape. The stack's notifyd is used
// when run.sh started one ($VAR/run/notifyd.pid); otherwise the suite runs
// its own with the stack's configuration.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const L = require('./lib');
const F = require('./fixtures');
const { receiver } = require('../tools/callback_receiver');

const CONF = path.join(L.VAR, 'vigil.conf');
const NOTIFYD = path.join(L.ROOT, 'notifyd/vigil-notifyd');
const TEST_OUTBOX = path.join(L.ROOT, 'tests/db/test_outbox');
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const hmac = (secret, body) => crypto.createHmac('sha256', secret)
  .update(body).digest('hex');

const children = [];

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (e) {
    return false;
  }
}

// The pid of a vigil-notifyd recorded in pidFile, or 0.
function runningNotifyd(pidFile) {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    const exe = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    return alive(pid) && path.basename(exe) === 'vigil-notifyd' ? pid : 0;
  } catch (e) {
    return 0;
  }
}

// Starts a vigil-notifyd of our own with conf; resolves once its pid file
// names it.
async function startNotifyd(conf, pidFile, log) {
  const out = fs.openSync(log, 'a');
  const child = spawn(NOTIFYD, ['-c', conf], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  children.push(child);
  const ok = await L.waitFor(() => runningNotifyd(pidFile) === child.pid, 5000, 50);
  assert.ok(ok, `vigil-notifyd did not start (log ${log})`);
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 8000);
  await gone;
  clearTimeout(t);
}

// One event through the real outbox_add.
function emit(group, event, stream, status) {
  const r = spawnSync(TEST_OUTBOX, ['add', String(group), event, '0',
    String(stream), status], { encoding: 'utf8',
    env: Object.assign({}, process.env, { VIGIL_TEST_CONF: CONF }) });
  assert.equal(r.status, 0, r.stderr);
}

// Rows as outbox_add writes them, many at once: [{ resource, event, status }]
// for tenant t and group g with url; returns the EventIds in order.
function insertRows(t, g, url, rows, created = 'UTC_TIMESTAMP(3)') {
  const ids = [];
  const values = rows.map((r) => {
    const body = JSON.stringify({ Event: r.event, GroupId: String(g),
      DeviceId: '', StreamId: String(r.resource), Status: r.status,
      Time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      EventId: crypto.randomUUID().toUpperCase() });
    ids.push(JSON.parse(body).EventId);
    return `(${t.tenantId}, ${g}, ${r.resource}, ${F.q(url)}, ${F.q(body)},
      ${created}, UTC_TIMESTAMP(3))`;
  });
  L.sql(`INSERT INTO outbox (tenant_id, group_id, resource_id, url, body,
    created_at, next_attempt) VALUES ${values.join(', ')}`);
  return ids;
}

function rows(group) {
  return L.sql(`SELECT id, resource_id, state, attempts, IFNULL(last_error, '')
    FROM outbox WHERE group_id = ${group} ORDER BY id`).split('\n')
    .filter(Boolean).map((l) => {
      const [id, resource, state, attempts, error] = l.split('\t');
      return { id, resource, state, attempts: Number(attempts), error };
    });
}

// A tenant and an rtmp space whose Callback is url: { t, group }.
async function space(url, t) {
  t = t || await F.tenant();
  const r = await L.client(t.key).request('CreateGroup', { Name: 'cb',
    Region: 'cn-shanghai', InProtocol: 'rtmp', OutProtocol: 'flv',
    Callback: url }, { method: 'POST' });
  return { t, group: r.Id };
}

const groups = [];
const receivers = [];

async function newReceiver(opt) {
  const r = await receiver(opt);
  receivers.push(r);
  return r;
}

test.before(async () => {
  if (!fs.existsSync(TEST_OUTBOX)) {
    const r = spawnSync('make', ['-s', 'tests/db/test_outbox'],
      { cwd: L.ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const pidFile = path.join(L.VAR, 'run/notifyd.pid');
  if (!runningNotifyd(pidFile))
    await startNotifyd(CONF, pidFile, path.join(L.VAR, 'log/notifyd-test.log'));
});

test.after(async () => {
  for (const r of receivers) await r.close();
  for (const c of children) await stopChild(c);
  if (groups.length)
    L.sql(`DELETE FROM outbox WHERE group_id IN (${groups.join(', ')})`);
});

test('events arrive with the NOTES fields and a valid X-Signature', async () => {
  const r = await newReceiver();
  const { t, group } = await space(r.url);
  groups.push(group);
  const stream = F.stream(t, group, { Protocol: 'rtmp' });
  emit(group, 'stream.on', stream, 'on');
  emit(group, 'stream.off', stream, 'off');
  assert.ok(await L.waitFor(() => r.accepted.length >= 2, 5000),
    `events: ${r.events.length}`);
  assert.equal(r.events.length, 2);
  const [on, off] = r.events;
  for (const [e, name, status] of [[on, 'stream.on', 'on'], [off, 'stream.off', 'off']]) {
    assert.equal(e.method, 'POST');
    assert.equal(e.path, '/cb');
    assert.equal(e.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(e.json).sort(), ['DeviceId', 'Event',
      'EventId', 'GroupId', 'Status', 'StreamId', 'Time']);
    assert.equal(e.json.Event, name);
    assert.equal(e.json.GroupId, group);
    assert.equal(e.json.DeviceId, '');
    assert.equal(e.json.StreamId, stream);
    assert.equal(e.json.Status, status);
    assert.match(e.json.Time, TIME);
    assert.match(e.json.EventId, UUID);
    // the receiver's check: HMAC-SHA256 of the raw body, tenant secret
    assert.equal(e.headers['x-signature'], hmac(t.key.secret, e.body));
    assert.notEqual(e.headers['x-signature'], hmac(L.operator.secret, e.body));
  }
  assert.notEqual(on.json.EventId, off.json.EventId);
  assert.ok(await L.waitFor(() => rows(group).every((x) => x.state === 'done'), 2000),
    JSON.stringify(rows(group)));
  assert.deepEqual(rows(group).map((x) => x.attempts), [1, 1]);
});

test('a dead receiver gets every event afterwards, in order per resource', async () => {
  const r = await newReceiver();
  const { t, group } = await space(r.url);
  groups.push(group);
  await r.stop();
  const streams = [F.stream(t, group), F.stream(t, group), F.stream(t, group)];
  const want = [];
  for (let i = 0; i < 4; i++) {
    for (const s of streams) {
      want.push(...insertRows(t, group, r.url, [{ resource: s,
        event: i % 2 ? 'stream.off' : 'stream.on', status: i % 2 ? 'off' : 'on' }]));
    }
  }
  // queued: each resource's oldest row tried and failed, the others wait
  assert.ok(await L.waitFor(() => rows(group).filter((x) => x.attempts >= 2).length === 3,
    5000), JSON.stringify(rows(group)));
  const queued = rows(group);
  assert.ok(queued.every((x) => x.state === 'pending'));
  assert.equal(queued.filter((x) => x.attempts > 0).length, 3);
  assert.match(queued[0].error, /connect|refused/i);
  await r.start();
  assert.ok(await L.waitFor(() => r.accepted.length >= want.length, 15000),
    `${r.accepted.length} of ${want.length} after the receiver came back`);
  await L.sleep(500);
  const got = r.accepted.map((e) => e.json.EventId);
  assert.deepEqual([...got].sort(), [...want].sort(), 'every event, once');
  for (const s of streams) {
    const mine = want.filter((id, i) => i % 3 === streams.indexOf(s));
    assert.deepEqual(r.accepted.filter((e) => e.json.StreamId === s)
      .map((e) => e.json.EventId), mine, `order of ${s}`);
  }
  assert.ok(rows(group).every((x) => x.state === 'done'));
});

// Issue 9, item 6: an event goes to the space's Callback as it is when it
// is sent; correcting a dead Callback delivers what waited, in order, now.
test('a corrected Callback gets the events queued for the dead one, in order', async () => {
  const dead = await newReceiver();
  const { t, group } = await space(dead.url);
  groups.push(group);
  await dead.stop();
  const stream = F.stream(t, group);
  const want = insertRows(t, group, dead.url, [1, 2, 3, 4].map((i) => ({
    resource: stream, event: i % 2 ? 'stream.on' : 'stream.off',
    status: i % 2 ? 'on' : 'off' })));
  // the oldest row fails until its backoff is far longer than the test
  assert.ok(await L.waitFor(() => rows(group)[0].attempts >= 3, 10000),
    JSON.stringify(rows(group)));
  const live = await newReceiver();
  await L.client(t.key).request('ModifyGroup', { Id: group, Callback: live.url },
    { method: 'POST' });
  emit(group, 'stream.on', stream, 'on');
  assert.ok(await L.waitFor(() => live.accepted.length >= 5, 5000),
    `${live.accepted.length} of 5 at the new Callback`);
  const got = live.accepted.map((e) => e.json.EventId);
  assert.deepEqual(got.slice(0, 4), want, 'the queued ones first, in order');
  assert.equal(dead.events.length, 0);
  assert.ok(await L.waitFor(() => rows(group).every((x) => x.state === 'done'), 2000));
  // a space whose Callback is emptied drops what waits for it
  await live.stop();
  insertRows(t, group, live.url, [{ resource: stream, event: 'stream.off', status: 'off' }]);
  assert.ok(await L.waitFor(() => rows(group).some((x) => x.attempts >= 1 && x.state === 'pending'), 5000));
  await L.client(t.key).request('ModifyGroup', { Id: group, Callback: '' },
    { method: 'POST' });
  assert.ok(await L.waitFor(() => rows(group).every((x) => x.state !== 'pending'), 5000),
    JSON.stringify(rows(group)));
  assert.match(rows(group).pop().error, /no Callback/);
});

test('a receiver answering 500 gets retries with growing delays', async () => {
  const r = await newReceiver({ mode: 'fail' });
  const { t, group } = await space(r.url);
  groups.push(group);
  const stream = F.stream(t, group);
  emit(group, 'stream.on', stream, 'on');
  assert.ok(await L.waitFor(() => r.events.length >= 3, 6000),
    `only ${r.events.length} attempts`);
  const times = r.events.map((e) => e.time);
  const gap1 = times[1] - times[0], gap2 = times[2] - times[1];
  assert.ok(gap1 >= 800 && gap1 < 2000, `first retry after ${gap1} ms`);
  assert.ok(gap2 >= 1800 && gap2 < 3200, `second retry after ${gap2} ms`);
  assert.ok(r.events.every((e) => e.body === r.events[0].body), 'same body');
  const [row] = rows(group);
  assert.equal(row.state, 'pending');
  assert.ok(row.attempts >= 3);
  assert.equal(row.error, 'HTTP 500');
  r.mode = 'ok';
  assert.ok(await L.waitFor(() => r.accepted.length === 1, 6000), 'delivered at last');
  assert.ok(await L.waitFor(() => rows(group)[0].state === 'done', 2000));
});

test('a row still failing 24 h after it was created is dead; its resource goes on', async () => {
  const r = await newReceiver();
  const { t, group } = await space(r.url);
  groups.push(group);
  const stream = F.stream(t, group);
  const [old, next] = insertRows(t, group, r.url, [
    { resource: stream, event: 'stream.on', status: 'on' }],
  'UTC_TIMESTAMP(3) - INTERVAL 1 DAY - INTERVAL 1 SECOND').concat(
    insertRows(t, group, r.url, [{ resource: stream, event: 'stream.off', status: 'off' }]));
  r.failIf = (ev) => ev.json && ev.json.EventId === old;
  assert.ok(await L.waitFor(() => r.accepted.length === 1, 5000));
  assert.equal(r.accepted[0].json.EventId, next);
  assert.equal(r.events.filter((e) => e.json.EventId === old).length, 1);
  const [dead, done] = rows(group);
  assert.deepEqual([dead.state, dead.attempts, dead.error], ['dead', 1, 'HTTP 500']);
  assert.equal(done.state, 'done');
});

test('a slow receiver does not delay another space\'s receiver', async () => {
  const slow = await newReceiver({ mode: 'slow', delayMs: 10000 });
  const fast = await newReceiver();
  const a = await space(slow.url);
  const b = await space(fast.url, a.t);
  groups.push(a.group, b.group);
  const slowStreams = [F.stream(a.t, a.group), F.stream(a.t, a.group),
    F.stream(a.t, a.group)];
  for (const s of slowStreams) emit(a.group, 'stream.on', s, 'on');
  // the slow receiver holds its requests open
  assert.ok(await L.waitFor(() => slow.events.length === 3, 3000));
  const t0 = Date.now();
  const fastStream = F.stream(a.t, b.group);
  emit(b.group, 'stream.on', fastStream, 'on');
  emit(b.group, 'stream.off', fastStream, 'off');
  assert.ok(await L.waitFor(() => fast.accepted.length === 2, 3000),
    'the other receiver waited');
  const took = Date.now() - t0;
  assert.ok(took < 1500, `other receiver served after ${took} ms`);
  assert.ok(slow.events.every((e) => e.answered === null), 'slow still pending');
  // the slow requests time out after ~5 s and are retried
  assert.ok(await L.waitFor(() => rows(a.group).every((x) => x.attempts >= 1), 8000),
    JSON.stringify(rows(a.group)));
  for (const x of rows(a.group)) {
    assert.equal(x.state, 'pending');
    assert.match(x.error, /timed? ?out/i);
  }
  await slow.stop();
});

test('two notifyd processes never deliver a row twice', async () => {
  const pidFile = path.join(L.VAR, 'run/notifyd-test-2.pid');
  const log = path.join(L.VAR, 'log/notifyd-test-2.log');
  const conf = path.join(L.VAR, 'notifyd-test-2.conf');
  const text = fs.readFileSync(CONF, 'utf8');
  const other = text.replace(/notifyd_pid_file = "[^"]*";/,
    `notifyd_pid_file = "${pidFile}";`).replace(/^log_level = "[a-z]+";/m,
    'log_level = "debug";');
  assert.notEqual(other, text);
  fs.writeFileSync(conf, other);
  fs.writeFileSync(log, '');
  const second = await startNotifyd(conf, pidFile, log);
  const r = await newReceiver();
  const { t, group } = await space(r.url);
  groups.push(group);
  const resources = Array.from({ length: 20 }, () => F.stream(t, group));
  const want = [];
  try {
    for (let batch = 0; batch < 4; batch++) {
      want.push(...insertRows(t, group, r.url, resources.map((s, i) => ({
        resource: s, event: batch % 2 ? 'stream.off' : 'stream.on',
        status: batch % 2 ? 'off' : 'on' }))));
      await L.sleep(300);
    }
    assert.ok(await L.waitFor(() => r.accepted.length >= want.length, 15000),
      `${r.accepted.length} of ${want.length}`);
    await L.sleep(1000);
    const count = new Map();
    for (const e of r.events) count.set(e.json.EventId, (count.get(e.json.EventId) || 0) + 1);
    assert.equal(count.size, want.length);
    for (const [id, n] of count) assert.equal(n, 1, `EventId ${id} delivered ${n} times`);
    for (const s of resources)
      assert.deepEqual(r.accepted.filter((e) => e.json.StreamId === s).map((e) => e.json.EventId),
        want.filter((id, i) => i % resources.length === resources.indexOf(s)), `order of ${s}`);
    // both dispatchers took part
    const byOther = (fs.readFileSync(log, 'utf8').match(/: delivered/g) || []).length;
    assert.ok(byOther > 0 && byOther < want.length, `second notifyd delivered ${byOther}`);
  } finally {
    await stopChild(second);
    fs.rmSync(conf, { force: true });
  }
  assert.ok(!fs.existsSync(pidFile), 'pid file removed on SIGTERM');
});

test('vigil-notifyd: -t checks the file, SIGHUP reloads or keeps the old one', async () => {
  const pidFile = path.join(L.VAR, 'run/notifyd-test-3.pid');
  const log = path.join(L.VAR, 'log/notifyd-test-3.log');
  const conf = path.join(L.VAR, 'notifyd-test-3.conf');
  const text = fs.readFileSync(CONF, 'utf8').replace(/notifyd_pid_file = "[^"]*";/,
    `notifyd_pid_file = "${pidFile}";`);
  fs.writeFileSync(conf, text);
  fs.writeFileSync(log, '');
  const child = await startNotifyd(conf, pidFile, log);
  try {
    assert.equal(spawnSync(NOTIFYD, ['-c', conf, '-t']).status, 0);
    child.kill('SIGHUP');
    assert.ok(await L.waitFor(() => /configuration reloaded/.test(
      fs.readFileSync(log, 'utf8')), 3000), 'reloaded');
    fs.writeFileSync(conf, text + '\nbroken {\n');
    assert.notEqual(spawnSync(NOTIFYD, ['-c', conf, '-t']).status, 0, '-t refuses');
    child.kill('SIGHUP');
    assert.ok(await L.waitFor(() => /keeping the running configuration/.test(
      fs.readFileSync(log, 'utf8')), 3000), 'broken file refused');
    assert.equal(runningNotifyd(pidFile), child.pid, 'still running');
  } finally {
    await stopChild(child);
    fs.rmSync(conf, { force: true });
  }
  assert.equal(child.exitCode, 0);
  assert.ok(!fs.existsSync(pidFile), 'pid file removed on SIGTERM');
  assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /secret/i);
});
