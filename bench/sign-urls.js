#!/usr/bin/env node
// Prints N signed GET URLs of one Action, each with its own nonce; "{i}" in
// a value becomes the request's number (zero-padded to 7 digits), so every
// URL can create a distinct resource.
//   node bench/sign-urls.js N KEYFILE ENDPOINT Action Key=Value ...
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');

const [n, keyFile, endpoint, action, ...kv] = process.argv.slice(2);
const key = {};
for (const line of fs.readFileSync(keyFile, 'utf8').split('\n')) {
  const i = line.indexOf('=');
  if (i > 0) key[line.slice(0, i)] = line.slice(i + 1);
}
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
  (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const out = [];
for (let i = 0; i < Number(n); i++) {
  const p = { Action: action, Version: '2018-12-12', Format: 'JSON',
    AccessKeyId: key.AccessKeyId, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: crypto.randomUUID(), Timestamp: ts };
  for (const a of kv) {
    const j = a.indexOf('=');
    p[a.slice(0, j)] = a.slice(j + 1).replace(/\{i\}/g, String(i).padStart(7, '0'));
  }
  const canon = Object.keys(p).sort().map((k) => pct(k) + '=' + pct(p[k])).join('&');
  const sig = crypto.createHmac('sha1', key.AccessKeySecret + '&')
    .update(`GET&%2F&${pct(canon)}`).digest('base64');
  out.push(`${endpoint}/?${canon}&Signature=${pct(sig)}`);
  if (out.length === 10000) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
}
if (out.length) process.stdout.write(out.join('\n') + '\n');
