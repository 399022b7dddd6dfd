/**
 * Draws the chart of docs/benchmarks.md from the results of `npm run bench:peer`:
 * mails per second of Herald, the peer stack and the bare nodemailer loop at 1,
 * 10, 100 and 1,000 recipients per event, as grouped bars.
 *
 *   npm run bench:chart                                   bench/results/peers.json → docs/benchmarks-peers.svg
 *   npm run bench:chart -- <results.json> <chart.svg>
 *
 * Hand-written SVG: a dozen rectangles, axes and labels are fewer lines than
 * driving a charting library, and the well-kept ones (D3, Vega, Chart.js) need
 * a DOM or a canvas to draw outside a browser — a dependency far bigger than
 * this file, for one static picture.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type System = 'Herald' | 'peer' | 'bare';

interface Results {
  recordedAt: string;
  machine: string;
  scale: number;
  mailsPerPoint: number;
  repetitions: unknown[];
  /** The 1-minute load average while measuring (runs since issue 29). */
  load?: { atStart: number; median: number };
  summary: { series: { recipients: number; rate: Record<System, number> }[] };
}

const BARS: { system: System; label: string; color: string }[] = [
  { system: 'Herald', label: 'Herald, POST /events', color: '#0969da' },
  { system: 'peer', label: 'peer: NestJS + BullMQ/Redis + nodemailer', color: '#bc4c00' },
  { system: 'bare', label: 'bare nodemailer, no queue', color: '#6e7781' },
];

const W = 760;
const H = 420;
const M = { left: 64, right: 16, top: 92, bottom: 56 };

/** Escapes text for SVG. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round upper bound for the axis and its step: 1, 2 or 5 × 10^n. */
function niceScale(max: number): { top: number; step: number } {
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  return { top: Math.ceil(max / step) * step, step };
}

export function chartSvg(results: Results): string {
  const series = results.summary.series;
  const { top, step } = niceScale(Math.max(...series.flatMap((s) => BARS.map((b) => s.rate[b.system]))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const groupW = plotW / series.length;
  const barW = (groupW * 0.7) / BARS.length;
  const out: string[] = [];
  const text = (x: number, yy: number, s: string, attrs = '') => out.push(`<text x="${x.toFixed(1)}" y="${yy.toFixed(1)}"${attrs}>${esc(s)}</text>`);

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" fill="#1f2328">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  text(M.left, 22, 'Mails per second, by recipients per event', ' font-size="16" font-weight="600"');
  const quick = results.scale !== 1 ? ` — quick run (scale ${results.scale})` : '';
  const load = results.load ? `; load average ${results.load.atStart.toFixed(1)} at the start, ${results.load.median.toFixed(1)} while measuring` : '';
  text(M.left, 38, `Median of ${results.repetitions.length} repetition${results.repetitions.length === 1 ? '' : 's'}, ${results.mailsPerPoint} mails each; ${results.recordedAt.slice(0, 10)}${quick}`, ' font-size="11" fill="#59636e"');
  text(M.left, 52, `${results.machine}${load}`, ' font-size="11" fill="#59636e"');
  // Legend, on one line.
  let lx = M.left;
  for (const b of BARS) {
    out.push(`<rect x="${lx}" y="62" width="12" height="12" fill="${b.color}"/>`);
    text(lx + 17, 72, b.label);
    lx += 28 + b.label.length * 7; // a generous width per character: sans-serif fonts differ (DejaVu Sans is wide)
  }
  // Grid and y axis.
  for (let v = 0; v <= top; v += step) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#1f2328' : '#d1d9e0'}" stroke-width="1"/>`);
    text(M.left - 8, y(v) + 4, v.toLocaleString('en-US'), ' text-anchor="end" fill="#59636e"');
  }
  text(16, M.top + plotH / 2, 'msg/s', ` text-anchor="middle" transform="rotate(-90 16 ${(M.top + plotH / 2).toFixed(1)})" fill="#59636e"`);
  // Bars, with their values.
  series.forEach((s, g) => {
    const x0 = M.left + g * groupW + groupW * 0.15;
    BARS.forEach((b, i) => {
      const v = s.rate[b.system];
      const x = x0 + i * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(M.top + plotH - y(v)).toFixed(1)}" fill="${b.color}"><title>${esc(`${b.label}: ${Math.round(v)} msg/s`)}</title></rect>`);
      text(x + (barW - 3) / 2, y(v) - 4, String(Math.round(v)), ' text-anchor="middle" font-size="11"');
    });
    text(M.left + g * groupW + groupW / 2, H - M.bottom + 18, s.recipients.toLocaleString('en-US'), ' text-anchor="middle"');
  });
  text(M.left + plotW / 2, H - 14, 'recipients per event (one event per request)', ' text-anchor="middle" fill="#59636e"');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export function writeChart(resultsPath: string, svgPath: string): void {
  writeFileSync(svgPath, chartSvg(JSON.parse(readFileSync(resultsPath, 'utf8')) as Results));
}

if (require.main === module) {
  const root = resolve(__dirname, '..', '..');
  const [input = join(root, 'bench', 'results', 'peers.json'), output = join(root, 'docs', 'benchmarks-peers.svg')] = process.argv.slice(2);
  writeChart(input, output);
  console.log(`${output} drawn from ${input}`);
}
