// The processes of each run in a directory of count-pg.cjs's files, found by their measured phases starting
// together (within 1 s), in time order, as summarize-counts.cjs takes them ('pid|pid,pid|…'); with --by-size,
// two groups: every run of one process, and every run of several (e.g. the processes scenario's rounds):
//   node bench/profiling/summarize-counts.cjs DIR <mails of all the runs of one group> "$(node bench/profiling/group-counts.cjs DIR --by-size)"
'use strict';
const fs = require('node:fs');
const dir = process.argv[2];
const rows = [];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const segs = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  const m = segs.find((s) => (s.phase ?? '').startsWith('measure'));
  if (m) rows.push({ pid: f.replace('.json', ''), start: m.start, end: m.end });
}
rows.sort((a, b) => a.start - b.start);
const groups = [];
for (const r of rows) {
  const g = groups.at(-1);
  if (g && Math.abs(r.start - g.start) < 1000) g.pids.push(r.pid);
  else groups.push({ start: r.start, pids: [r.pid] });
}
if (process.argv[3] === '--by-size') {
  const [one, many] = [groups.filter((g) => g.pids.length === 1), groups.filter((g) => g.pids.length > 1)];
  console.log([one, many].map((gs) => gs.flatMap((g) => g.pids).join(',')).join('|'));
} else console.log(groups.map((g) => g.pids.join(',')).join('|'));
