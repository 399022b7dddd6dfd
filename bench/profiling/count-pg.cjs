// A preload for Herald in bench:pipeline: what one process sends to PostgreSQL, by statement kind and by
// transaction kind, and its socket reads and writes per peer, timers and GC pauses, counted apart for the
// measured phase (the bench's BENCH_PHASE_FILE, which the bench passes on to Herald).
//
//   BENCH_PHASE_FILE=/tmp/herald-bench-phase BENCH_HERALD_NODE_OPTIONS="--require $PWD/bench/profiling/count-pg.cjs" \
//     HERALD_BENCH_DATABASE_URL=… BENCH_SCENARIOS=processes … node dist/bench/pipeline.bench.js
//   node bench/profiling/summarize-counts.cjs /tmp/herald-pg-counts <mails> '<pid>|<pid>,<pid>'
//
// Each process writes /tmp/herald-pg-counts/<pid>.json (or $BENCH_COUNTS_DIR/<pid>.json) (segments: before, 'measure', 'end') on exit
// and every 2 s. It reads the PostgreSQL wire protocol's Query and Parse messages as pg writes them.
'use strict';
const net = require('node:net');
const fs = require('node:fs');
const { PerformanceObserver } = require('node:perf_hooks');

const DIR = process.env.BENCH_COUNTS_DIR || '/tmp/herald-pg-counts'; // BENCH_HERALD_ENV=BENCH_COUNTS_DIR=… for a run's own
const PHASE = process.env.BENCH_PHASE_FILE;
fs.mkdirSync(DIR, { recursive: true });

/** Statement kinds by their text (the first that matches). */
const KINDS = [
  [/^(BEGIN|START TRANSACTION)/i, 'BEGIN'],
  [/^COMMIT/i, 'COMMIT'],
  [/^ROLLBACK/i, 'ROLLBACK'],
  [/^INSERT INTO "[^"]+"\."job_events"/i, 'ingestion: inbox'],
  [/"job_failures"/i, 'ingestion: history failures'],
  [/job_outcomes/i, 'ingestion: history row'],
  [/^INSERT INTO "[^"]+"\."notifications"/i, 'ingestion: notifications'],
  [/^WITH v AS \( SELECT nextval/i, 'ingestion: outbox insert'],
  [/quiet/i, 'ingestion: quiet hours'],
  [/mail_cap|cap_/i, 'ingestion: cap'],
  [/^WITH s0 AS/i, 'dispatch: claim'],
  [/^UPDATE "[^"]+"\."deliveries" AS d SET status = v\.status/i, 'dispatch: outcome record'],
  [/suspension/i, 'dispatch: readers check'],
  [/relay_failures = relay_failures/i, 'dispatch: relay failure'],
  [/^UPDATE "[^"]+"\."deliveries" SET "status"/i, 'sweep: requeue/hold/release'],
  [/relay_health|channel_health|"PropertyEntity"/i, 'relay health / settings'],
  [/quota/i, 'shared quota'],
  [/subscri/i, 'audience: subscriptions'],
  [/notification_target|targets/i, 'audience: targets'],
  [/managers|users/i, 'audience: people'],
];
const classify = (sql) => {
  const s = sql.replace(/\s+/g, ' ').trim();
  for (const [re, name] of KINDS) if (re.test(s)) return name;
  return `other: ${s.slice(0, 80)}`;
};

const fresh = (phase) => ({ phase, start: Date.now(), hrStartUs: Number(process.hrtime.bigint() / 1000n), statements: {}, transactions: {}, io: {}, cpu0: process.cpuUsage(), main0: process.threadCpuUsage() });
const segments = [];
let cur = fresh('before');
const bump = (o, k, n = 1) => (o[k] = (o[k] || 0) + n);

function close() {
  const u = process.cpuUsage(cur.cpu0);
  const m = process.threadCpuUsage(cur.main0);
  Object.assign(cur, { end: Date.now(), hrEndUs: Number(process.hrtime.bigint() / 1000n), processMs: (u.user + u.system) / 1000, mainThreadMs: (m.user + m.system) / 1000 });
  delete cur.cpu0;
  delete cur.main0;
  segments.push(cur);
}

/** A transaction's kind: ingestion (with its statement count), or the kinds it holds; a statement alone is its own. */
function statement(socket, sql) {
  const kind = classify(sql);
  bump(cur.statements, kind);
  const state = socket.herald;
  if (kind === 'BEGIN') state.tx = [];
  else if (kind === 'COMMIT' || kind === 'ROLLBACK') {
    if (state.tx) {
      const name = state.tx.includes('ingestion: inbox') ? `ingestion (${state.tx.length} statements)` : `transaction: ${[...new Set(state.tx)].join(' + ')}`;
      bump(cur.transactions, name + (kind === 'ROLLBACK' ? ' (rolled back)' : ''));
    }
    state.tx = undefined;
  } else if (state.tx) state.tx.push(kind);
  else bump(cur.transactions, `alone: ${kind}`);
}

/** Frontend messages in one write: Query (Q) and Parse (P) carry the statement's text. */
function frontend(socket, buffer) {
  for (let o = 0; o + 5 <= buffer.length; ) {
    const type = buffer[o];
    const length = buffer.readInt32BE(o + 1);
    const body = buffer.subarray(o + 5, o + 1 + length);
    if (type === 0x51) statement(socket, body.toString('utf8', 0, body.length - 1));
    else if (type === 0x50) {
      const name = body.indexOf(0);
      statement(socket, body.toString('utf8', name + 1, body.indexOf(0, name + 1)));
    }
    o += 1 + length;
  }
}

function peer(socket) {
  if (!socket.heraldPeer) {
    const port = socket.remotePort;
    socket.heraldPeer = port === 5432 ? 'pg' : port === 5672 ? 'amqp' : socket.server || socket._server ? 'http' : 'other (SMTP)';
  }
  return socket.heraldPeer;
}

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  const p = peer(this);
  bump(cur.io, `${p} writes`);
  if (p === 'pg' && Buffer.isBuffer(chunk)) {
    if (this.herald) frontend(this, chunk);
    else {
      this.herald = {}; // the first write is the startup message, which has no type byte
      bump(cur.io, 'pg connections opened');
    }
  }
  if (!this.heraldReading) {
    this.heraldReading = true;
    this.on('data', () => bump(cur.io, `${peer(this)} reads`));
  }
  return write.call(this, chunk, ...rest);
};

for (const name of ['setTimeout', 'setImmediate', 'setInterval']) {
  const original = global[name];
  global[name] = function (...args) {
    bump(cur.io, `timers: ${name}`);
    return original.apply(this, args);
  };
}

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = `gc kind ${e.detail?.kind ?? e.kind}`;
    bump(cur.io, `${kind} count`);
    bump(cur.io, `${kind} wall µs`, Math.round(e.duration * 1000));
  }
}).observe({ entryTypes: ['gc'] });

function dump(final) {
  if (final) close();
  const all = final ? segments : [...segments, { ...cur, open: true }];
  try {
    fs.writeFileSync(`${DIR}/${process.pid}.json`, JSON.stringify(all, null, 1));
  } catch {
    // a dump is best effort
  }
}
setInterval(() => dump(false), 2000).unref();
process.on('exit', () => dump(true));

// A new segment each time the bench writes the phase file ('measure …', 'end …').
if (PHASE) {
  require('./phase-file.cjs').watchPhase(PHASE, (phase) => {
    close();
    cur = fresh(phase);
  });
}
