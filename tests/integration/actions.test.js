// Every Action of ../shared/spec/actions.tsv is routed: none answers
// InvalidAction.NotFound, except the sections not built yet (statistics and
// charging), which must answer exactly that and never a fake success.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');
const F = require('./fixtures');

const TSV = path.join(L.ROOT, '../shared/spec/actions.tsv');
const NOT_YET = new Set(['统计查询接口', '计费用量接口']);
const OPERATOR = new Set(['订购相关接口']);

const rows = fs.readFileSync(TSV, 'utf8').split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => { const [section, action] = l.split('\t'); return { section, action }; });

test('actions.tsv lists the 65 Actions', () => {
  assert.equal(rows.length, 65);
});

async function unrouted(endpoint) {
  const t = await F.tenant();
  const missing = [];
  for (const { section, action } of rows) {
    // no parameters: a routed Action answers MissingParameter or similar
    const r = await L.call(action, {}, Object.assign({ endpoint },
      OPERATOR.has(section) ? {} : { key: t.key }));
    assert.ok(r.json && r.json.RequestId, `${action}: ${r.body}`);
    if (NOT_YET.has(section)) {
      assert.equal(r.json.Code, 'InvalidAction.NotFound', `${action} is not built yet`);
    } else if (r.json.Code === 'InvalidAction.NotFound') {
      missing.push(action);
    }
  }
  return missing;
}

test('every built Action is routed; unbuilt ones say NotFound', async () => {
  assert.deepEqual(await unrouted(L.ENDPOINT), [], 'Actions answering InvalidAction.NotFound');
});

test('... and so through Apache 2.4 too', async () => {
  const S = require('./stack');
  const port = L.PORT + 12;
  S.apache('start', port);
  try {
    assert.deepEqual(await unrouted(`http://127.0.0.1:${port}`), []);
  } finally {
    S.apache('stop', port);
  }
});
