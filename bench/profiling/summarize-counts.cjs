// Per 1,000 mails, the measured phase of count-pg.cjs's processes, side by side:
//   node bench/profiling/summarize-counts.cjs /tmp/herald-pg-counts <mails> '<pid>|<pid>,<pid>'
// (groups separated by '|', a group's processes summed: e.g. one process against two).
'use strict';
const fs = require('node:fs');
const [dir, mails, groupsArg] = process.argv.slice(2);
const measured = (pid) => JSON.parse(fs.readFileSync(`${dir}/${pid}.json`, 'utf8')).find((s) => (s.phase ?? '').startsWith('measure'));
const groups = groupsArg.split('|').map((g) => g.split(',').map(measured));
const sum = (segments, part) => {
  const total = {};
  for (const s of segments) for (const [k, v] of Object.entries(s[part])) total[k] = (total[k] || 0) + v;
  return total;
};
const per = (v) => (((v || 0) * 1000) / Number(mails)).toFixed(0).padStart(7);
for (const part of ['transactions', 'statements', 'io']) {
  const sums = groups.map((g) => sum(g, part));
  const keys = [...new Set(sums.flatMap((s) => Object.keys(s)))].sort((a, b) => (sums.at(-1)[b] || 0) - (sums.at(-1)[a] || 0));
  console.log(`-- ${part} per 1,000 mails`);
  for (const k of keys) console.log(sums.map((s) => per(s[k])).join(' '), ' ', k);
  if (part !== 'io') console.log(sums.map((s) => per(Object.values(s).reduce((a, b) => a + b, 0))).join(' '), '  all');
}
const ms = (g, k) => (g.reduce((a, s) => a + s[k], 0) / Number(mails)).toFixed(3).padStart(7);
console.log(groups.map((g) => ms(g, 'processMs')).join(' '), '  CPU ms/mail (process)');
console.log(groups.map((g) => ms(g, 'mainThreadMs')).join(' '), '  CPU ms/mail (main thread)');
