// Control of the stack under test through run.sh's own functions, so tests
// stop and start components exactly as the operator's script does.
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const L = require('./lib');

function runLib(script) {
  const r = spawnSync('bash', ['-c', `source ./run.sh --lib && ${script}`], {
    cwd: L.ROOT, encoding: 'utf8', env: Object.assign({}, process.env, {
      VIGIL_VAR: L.VAR, VIGIL_HTTP_PORT: String(L.PORT) }),
  });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

const api = (...args) => spawnSync(path.join(L.ROOT, 'fcgi/vigil-api'), args,
  { encoding: 'utf8' });

module.exports = {
  runLib,
  api,
  conf: path.join(L.VAR, 'vigil.conf'),
  dbStop: () => runLib('stop_pidfile mariadb "$DB_PID" mariadbd'),
  dbStart: () => runLib('db_start'),
  apiStart: () => runLib('api_start'),
  apache: (cmd, port) => {
    const r = spawnSync(path.join(__dirname, 'apache.sh'),
      [cmd, L.VAR, String(port)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apache.sh ${cmd}: ${r.stderr}`);
  },
};
