// A callback receiver for the tests: a small HTTP server that records every
// POST (headers, body, parsed JSON, time) and answers as told: 'ok' (200),
// 'fail' (500) or 'slow' (200 after delayMs). stop() closes it (a dead
// receiver: connections are refused) and start() brings it back on the same
// port. failIf(ev) answers chosen events 500 whatever the mode.
//
//   const r = await receiver({ mode: 'ok' });   // r.url, r.events
//   r.mode = 'fail'; await r.stop(); await r.start(); await r.close();
//
// Run alone (`node callback_receiver.js [port] [mode]`) it prints one JSON
// line per POST on stdout.
'use strict';
const http = require('node:http');

class Receiver {
  constructor(opt = {}) {
    this.mode = opt.mode || 'ok';
    this.delayMs = opt.delayMs || 10000;
    this.port = opt.port || 0;
    this.path = opt.path || '/cb';
    this.events = [];   // every POST, including those answered 500
    this.onEvent = opt.onEvent || null;
    // (ev) => true to answer this one 500 whatever the mode
    this.failIf = opt.failIf || null;
    this.server = null;
    this.sockets = new Set();
    this.timers = new Set();
  }

  get url() { return `http://127.0.0.1:${this.port}${this.path}`; }

  // Events answered 2xx, in arrival order.
  get accepted() { return this.events.filter((e) => e.answered === 200); }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(body); } catch (e) { /* recorded as is */ }
      const ev = { method: req.method, path: req.url, headers: req.headers,
        body, json, time: Date.now(), mode: this.mode, answered: null };
      this.events.push(ev);
      if (this.onEvent) this.onEvent(ev);
      const answer = (status) => {
        if (res.destroyed) return;
        ev.answered = status;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok\n' : 'failed\n');
      };
      if (this.mode === 'fail' || (this.failIf && this.failIf(ev))) answer(500);
      else if (this.mode === 'slow') {
        const t = setTimeout(() => { this.timers.delete(t); answer(200); },
          this.delayMs);
        this.timers.add(t);
      } else answer(200);
    });
  }

  // An ephemeral port may fall in the stack's media range, where the stack
  // refuses to send callbacks (netguard): another port is taken then.
  async start() {
    const rtp = Number(process.env.VIGIL_RTP_PORT || 30000);
    for (;;) {
      await this.listen();
      if (this.fixed || this.port < rtp || this.port > rtp + 999) return this;
      await this.stop();
      this.port = 0;
    }
  }

  listen() {
    this.fixed = this.fixed || this.port !== 0;
    return new Promise((resolve, reject) => {
      this.server = http.createServer((req, res) => this.handle(req, res));
      this.server.on('connection', (s) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = this.server.address().port;
        resolve(this);
      });
    });
  }

  // Stops listening and drops every connection: the receiver is dead.
  stop() {
    if (!this.server) return Promise.resolve();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  close() { return this.stop(); }
}

async function receiver(opt) {
  return new Receiver(opt).start();
}

module.exports = { receiver, Receiver };

if (require.main === module) {
  const port = Number(process.argv[2] || 0);
  const mode = process.argv[3] || 'ok';
  receiver({ port, mode, onEvent: (e) => process.stdout.write(
    JSON.stringify({ time: e.time, headers: e.headers, body: e.body }) + '\n') })
    .then((r) => process.stderr.write(`listening on ${r.url} (${mode})\n`));
}
