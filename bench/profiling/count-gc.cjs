// A preload for Herald in bench:pipeline: its GCs by kind (scavenge, incremental marking = mark-compact,
// weak callbacks), counts and wall ms, apart for the measured phase (the bench's BENCH_PHASE_FILE), and
// the heap's spaces after each mark-compact. GC_V8_FLAGS (set through BENCH_HERALD_ENV) adds V8 flags
// at start, e.g. --trace-gc-nvp (a line per GC with promoted=, old_gen_allocation_limit=, …) or
// --trace-incremental-marking (why marking started, and the room left under the limit).
//
//   BENCH_PHASE_FILE=/tmp/herald-bench-phase BENCH_HERALD_NODE_OPTIONS="--require $PWD/bench/profiling/count-gc.cjs" \
//     BENCH_HERALD_ENV="GC_V8_FLAGS=--trace-gc" … node dist/bench/pipeline.bench.js
//
// Each process writes /tmp/herald-gc-counts/<pid>.json (segments: before, 'measure', 'end') on exit
// and every 2 s, and prints '@@PHASE <phase> <ms>' on stdout when the phase changes (to cut a trace).
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');
const { PerformanceObserver, performance } = require('node:perf_hooks');

const DIR = '/tmp/herald-gc-counts';
const PHASE = process.env.BENCH_PHASE_FILE;
fs.mkdirSync(DIR, { recursive: true });
if (process.env.GC_V8_FLAGS) v8.setFlagsFromString(process.env.GC_V8_FLAGS);

const KIND = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak callbacks' };
const segments = [];
let cur = { phase: 'before', startMs: performance.now(), kinds: {}, majors: [] };

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KIND[e.detail?.kind] ?? `kind ${e.detail?.kind}`;
    const k = (cur.kinds[kind] ??= { count: 0, wallMs: 0 });
    k.count++;
    k.wallMs += e.duration;
    if (kind === 'mark-compact' || kind === 'incremental') {
      const space = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1024)]));
      cur.majors.push({ atMs: Math.round(e.startTime), ms: +e.duration.toFixed(2), oldKB: space.old_space, codeKB: space.code_space, largeKB: space.large_object_space, newKB: space.new_space });
    }
  }
}).observe({ entryTypes: ['gc'] });

function dump() {
  try {
    fs.writeFileSync(`${DIR}/${process.pid}.json`, JSON.stringify([...segments, cur], null, 1));
  } catch {
    // best effort
  }
}
setInterval(dump, 2000).unref();
process.on('exit', dump);

if (PHASE) {
  require('./phase-file.cjs').watchPhase(PHASE, (phase) => {
    cur.endMs = performance.now();
    segments.push(cur);
    cur = { phase, startMs: performance.now(), kinds: {}, majors: [] };
    console.log(`@@PHASE ${cur.phase} ${Math.round(performance.now())}`);
  });
}
