// Where an SMTP round trip's time goes, seen from the relay's thread: for each connection, the time from
// Herald's last write to the relay's reply ("their side": the receiver, the loopback and the scheduler) and
// from the reply to Herald's next write ("our side": nodemailer's reply handling, the pool handing the
// connection its next message, the message's stream). Also, sampled every millisecond, the pool's queue
// and its connections idle while mail waits. A preload, for the relay's thread only (it loads nodemailer):
//   BENCH_HERALD_NODE_OPTIONS="--require $PWD/bench/profiling/round-trips.cjs" BENCH_HERALD_ENV=ROUND_TRIPS_FILE=/tmp/rt.log \
//     BENCH_SCENARIOS=throughput BENCH_HERALD_INGRESS=http BENCH_EVENTS_1=0 BENCH_EVENTS_100=600 node dist/bench/pipeline.bench.js
// It appends one line a second to ROUND_TRIPS_FILE; the first seconds are the start and the ramp.
const { isMainThread } = require('node:worker_threads');
const file = process.env.ROUND_TRIPS_FILE;
if (!isMainThread && file) {
  const fs = require('node:fs');
  const net = require('node:net');
  const Module = require('node:module');
  const now = () => performance.now();
  let ours = 0, theirs = 0, replies = 0, writes = 0;
  let samples = 0, queued = 0, idle = 0;
  const pools = new Set();

  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (...args) {
    const t = now();
    if (this.__repliedAt !== undefined) {
      ours += t - this.__repliedAt;
      writes++;
      this.__repliedAt = undefined;
    }
    if (this.__wroteAt === undefined) this.__wroteAt = t;
    return write.apply(this, args);
  };

  // nodemailer's connection and pool, patched as they load (their internals: _onData, _socket, _queue, _connections).
  const load = Module._load;
  Module._load = function (request, ...rest) {
    const exported = load.call(this, request, ...rest);
    if (/smtp-connection(\/index\.js)?$/.test(request) && !exported.__roundTrips) {
      exported.__roundTrips = true;
      const onData = exported.prototype._onData;
      exported.prototype._onData = function (chunk) {
        const socket = this._socket;
        const t = now();
        if (socket?.__wroteAt !== undefined) {
          theirs += t - socket.__wroteAt;
          replies++;
          socket.__wroteAt = undefined;
        }
        if (socket) socket.__repliedAt = t;
        return onData.call(this, chunk);
      };
    }
    if (/smtp-pool(\/index\.js)?$/.test(request) && !exported.__roundTrips) {
      exported.__roundTrips = true;
      const send = exported.prototype.send;
      exported.prototype.send = function (...args) {
        pools.add(this);
        return send.apply(this, args);
      };
    }
    return exported;
  };

  setInterval(() => {
    for (const pool of pools) {
      samples++;
      queued += pool._queue.length;
      idle += pool._queue.length > 0 ? pool._connections.filter((c) => c.available).length : 0;
    }
  }, 1).unref();
  setInterval(() => {
    if (replies && writes) {
      const line = `round trips ${replies}: their side ${(theirs / replies).toFixed(3)} ms, our side ${(ours / writes).toFixed(3)} ms; pool queue ${(queued / samples).toFixed(1)}, connections idle while mail waits ${(idle / samples).toFixed(2)}\n`;
      fs.appendFileSync(file, line);
    }
    ours = theirs = replies = writes = samples = queued = idle = 0;
  }, 1000).unref();
}
