// Shared helpers of the integration suite: the stack under test, an
// independent signer (so the server is checked against a second
// implementation), raw HTTP, vigilctl, the database and the logs.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const RPCClient = require('@alicloud/pop-core').RPCClient;

const ROOT = path.resolve(__dirname, '../..');
const VAR = process.env.VIGIL_VAR || path.join(ROOT, 'var');
const PORT = Number(process.env.VIGIL_HTTP_PORT || 8080);
const ENDPOINT = `http://127.0.0.1:${PORT}`;

function readKey(file) {
  const kv = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1);
  }
  return { id: kv.AccessKeyId, secret: kv.AccessKeySecret };
}
const operator = readKey(path.join(VAR, 'operator.key'));

function client(key, endpoint = ENDPOINT) {
  return new RPCClient({
    accessKeyId: key.id, accessKeySecret: key.secret,
    endpoint, apiVersion: '2018-12-12',
  });
}

// RFC 3986 encoding as NOTES section 1 defines it.
function pct(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function timestamp(offsetSec = 0) {
  return new Date(Date.now() + offsetSec * 1000).toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}

// Returns the signed parameter list (an array of [name, value]).
function signed(action, params = {}, opt = {}) {
  const key = opt.key || operator;
  const all = Object.assign({
    Action: action, Version: '2018-12-12', Format: 'JSON',
    AccessKeyId: key.id, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: crypto.randomUUID(),
    Timestamp: timestamp(),
  }, params);
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  const names = Object.keys(all).sort();
  const canon = names.map((n) => pct(n) + '=' + pct(String(all[n]))).join('&');
  const sts = `${opt.signMethod || opt.method || 'GET'}&%2F&${pct(canon)}`;
  const sig = crypto.createHmac('sha1', (opt.secret || key.secret) + '&')
    .update(sts).digest('base64');
  return names.map((n) => [n, String(all[n])]).concat([['Signature', sig]]);
}

function encode(list) {
  return list.map(([n, v]) => pct(n) + '=' + pct(v)).join('&');
}

// Sends a raw request; resolves { status, body, json }.
function request(method, query, body, headers = {}, endpoint = ENDPOINT,
  urlPath = '/') {
  return new Promise((resolve, reject) => {
    const url = new URL(endpoint + urlPath + (query ? '?' + query : ''));
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
        resolve({ status: res.statusCode, body: text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Signs and sends an Action by GET (query) or POST (form body).
function call(action, params = {}, opt = {}) {
  const method = opt.method || 'GET';
  const list = opt.list || signed(action, params, opt);
  if (method === 'GET') return request('GET', encode(list), undefined, {}, opt.endpoint);
  return request(method, '', encode(list),
    { 'content-type': 'application/x-www-form-urlencoded' }, opt.endpoint);
}

const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

function vigilctl(args, env = {}) {
  return spawnSync(path.join(ROOT, 'cli/vigilctl'), args, {
    encoding: 'utf8',
    env: Object.assign({}, process.env, { VIGIL_VAR: VAR,
      VIGIL_HTTP_PORT: String(PORT) }, env),
  });
}

function sql(query) {
  return execFileSync('mariadb', ['--socket=' + path.join(VAR, 'run/mysqld.sock'),
    '-uroot', '-N', '-B', 'vigil', '-e', query], { encoding: 'utf8' });
}

function pidFile(name) {
  return Number(fs.readFileSync(path.join(VAR, 'run', name), 'utf8').trim());
}

function workerPids() {
  const r = spawnSync('pgrep', ['-P', String(pidFile('vigil-api.pid'))],
    { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).sort();
}

function accessLog() {
  return fs.readFileSync(path.join(VAR, 'log/vigil-api.log'), 'utf8');
}

// The worker pid that logged a RequestId, from its access line.
function pidOfRequest(requestId) {
  const re = new RegExp(`\\[(\\d+)\\] info: access ${requestId} `);
  const m = accessLog().match(re);
  return m ? Number(m[1]) : null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, ms = 15000, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(step);
  }
}

// ffmpeg pushing a small H.264 test pattern to url for secs seconds (as a
// camera would); killPushes() ends every one still running.
const pushes = new Set();
function push(url, secs = 60) {
  const p = require('node:child_process').spawn('ffmpeg', ['-nostdin', '-v',
    'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t',
    String(secs), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25',
    '-f', 'flv', url], { stdio: 'ignore' });
  pushes.add(p);
  p.on('exit', () => pushes.delete(p));
  return p;
}
function killPushes() {
  for (const p of pushes) p.kill('SIGKILL');
}

// The vault's AES-256-GCM (IV | ciphertext | tag, bound to a label) with
// the stack's master key, as a second implementation: seal(text, label)
// gives hex, open(hex, label) the text or null.
function masterKey() {
  return Buffer.from(fs.readFileSync(path.join(VAR, 'master.key'), 'utf8').trim(), 'hex');
}
const vault = {
  seal(text, label) {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', masterKey(), iv);
    c.setAAD(Buffer.from(label));
    const ct = Buffer.concat([c.update(text, 'utf8'), c.final()]);
    return Buffer.concat([iv, ct, c.getAuthTag()]).toString('hex');
  },
  open(hex, label) {
    const b = Buffer.from(hex, 'hex');
    const d = crypto.createDecipheriv('aes-256-gcm', masterKey(), b.subarray(0, 12));
    d.setAAD(Buffer.from(label));
    d.setAuthTag(b.subarray(b.length - 16));
    try {
      return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()])
        .toString('utf8');
    } catch (e) {
      return null;
    }
  },
};

let seq = 0;
function uniqueUser(prefix = 'u') {
  return `${prefix}-${process.pid}-${Date.now()}-${++seq}`;
}

async function newTenant() {
  const user = uniqueUser('tenant');
  const r = await client(operator).request('CreateMtsService', {
    UserId: user, AccessInfo: JSON.stringify({ AccessKeyId: 'ak-' + user,
      AccessKeySecret: 'sk-' + user }) }, { method: 'POST' });
  return { user, key: { id: r.UserAccessKeyId, secret: r.UserAccessKeySecret } };
}

module.exports = {
  ROOT, VAR, PORT, ENDPOINT, operator, client, pct, timestamp, signed, encode,
  request, call, REQUEST_ID, vigilctl, sql, pidFile, workerPids, accessLog,
  pidOfRequest, sleep, waitFor, uniqueUser, newTenant, readKey, push,
  killPushes, vault,
};
