// On-CPU time per mail from `perf record` (true CPU, unlike --cpu-prof, which samples wall time), over the
// measured phase that count-pg.cjs recorded, by bucket and by symbol (JIT code named through the bundle's
// source map). Herald started with --perf-basic-prof-only-functions (allowed in NODE_OPTIONS):
//
//   perf record -e cpu-clock -F 1999 -k CLOCK_MONOTONIC -a -o /tmp/h.data &   # then the bench, then kill -INT
//   perf script -i /tmp/h.data -F pid,tid,time,ip,sym,dso | \
//     node bench/profiling/perf-by-bucket.cjs /tmp/herald-pg-counts <mails> '<pid>|<pid>,<pid>' dist/herald-server.cjs.map
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const { SourceMap } = require('node:module');
const [countsDir, mails, groupsArg, mapFile] = process.argv.slice(2);
const HZ = Number(process.env.PERF_HZ ?? 1999);
const map = new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')));
const groups = groupsArg.split('|').map((g) => g.split(','));
const window = {};
const groupOf = {};
groups.forEach((g, i) =>
  g.forEach((pid) => {
    const s = JSON.parse(fs.readFileSync(`${countsDir}/${pid}.json`, 'utf8')).find((x) => (x.phase ?? '').startsWith('measure'));
    window[pid] = [s.hrStartUs / 1e6, s.hrEndUs / 1e6]; // perf's CLOCK_MONOTONIC seconds, as process.hrtime
    groupOf[pid] = i;
  }),
);

function bucket(main, dso, sym) {
  const thread = main ? 'main: ' : 'other threads: ';
  if (dso.includes('kernel')) return `${thread}kernel`;
  if (dso.includes('perf-')) return `${thread}JIT code (${{ '*': 'TurboFan', '+': 'Maglev', '^': 'Sparkplug' }[sym.match(/^JS:(\S?)'/)?.[1]] ?? 'other'})`;
  if (/Heap|Scaveng|MarkCompact|Marking|Sweep|GarbageCollect/.test(sym)) return `${thread}GC`;
  if (/Compil|Parser|Scanner|maglev|compiler::|baseline::|interpreter::Bytecode/.test(sym)) return `${thread}compiling`;
  if (/Builtins_.*IC/.test(sym)) return `${thread}inline-cache builtins`;
  if (/Builtins_/.test(sym)) return `${thread}other builtins`;
  return `${thread}native (${dso.split('/').pop()})`;
}
const names = new Map();
function symbol(sym, dso) {
  let name = names.get(sym);
  if (name) return name;
  const m = sym.match(/^JS:(\S?)'(\S*) \S*herald-server\.cjs:(\d+):(\d+)/);
  if (m) {
    const o = map.findEntry(Number(m[3]) - 1, Number(m[4]) - 1); // 0-based, as the perf map's are 1-based
    name = `JS${m[1]} ${(o.originalSource ?? '?').replace(/^.*?((src|libs)\/|node_modules\/)/, '$1')}:${(o.originalLine ?? -1) + 1} ${m[2]}`;
  } else name = (dso.includes('kernel') ? '[kernel] ' : '') + sym.slice(0, 90);
  names.set(sym, name);
  return name;
}

const buckets = groups.map(() => ({}));
const symbols = groups.map(() => ({}));
readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    const m = line.match(/^\s*(\d+)\/(\d+)\s+([\d.]+):\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/);
    if (!m) return;
    const [, pid, tid, time, sym, dso] = m;
    const g = groupOf[pid];
    if (g === undefined || Number(time) < window[pid][0] || Number(time) > window[pid][1]) return;
    const b = bucket(pid === tid, dso, sym);
    buckets[g][b] = (buckets[g][b] || 0) + 1;
    if (pid === tid) {
      const s = symbol(sym, dso);
      symbols[g][s] = (symbols[g][s] || 0) + 1;
    }
  })
  .on('close', () => {
    const ms = (n) => (((n || 0) / HZ) * 1000) / Number(mails);
    const show = (rows, keys) => keys.forEach((k) => console.log(rows.map((r) => ms(r[k]).toFixed(3).padStart(7)).join(' '), ' ', k));
    const total = buckets.map((b) => Object.values(b).reduce((x, y) => x + y, 0));
    console.log(total.map((n) => ms(n).toFixed(3).padStart(7)).join(' '), '  on-CPU ms/mail, all threads');
    const grow = (rows) => (a, b) => ms(rows.at(-1)[b]) - ms(rows[0][b]) - (ms(rows.at(-1)[a]) - ms(rows[0][a]));
    show(buckets, [...new Set(buckets.flatMap(Object.keys))].sort(grow(buckets)));
    console.log('-- main thread, the symbols that grow most from the first group to the last');
    show(symbols, [...new Set(symbols.flatMap(Object.keys))].sort(grow(symbols)).slice(0, Number(process.env.TOP ?? 40)));
  });
