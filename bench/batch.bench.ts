/**
 * One recipient per event, published over GraphQL one event per request
 * (publishJobEvent, 8 requests in flight, as bench:pipeline does) against batches
 * (publishJobEvents, BENCH_BATCH events per request, 2 in flight), to the same
 * Herald and sink in the same run, alternating which goes first.
 *
 *   npm run build:bench && node dist/bench/batch.bench.js
 *
 * BENCH_EVENTS (4000), BENCH_BATCH (100), BENCH_REPS (3).
 */
import type { JobEvent } from '@herald/contracts';
import { gql, publish, SERVICE_TOKEN, seedManagers } from './support/herald-api';
import { HeraldProcess } from './support/herald-process';
import { eachInFlight, jobEvent } from './support/job-events';
import { machine, table } from './support/report';
import { SinkClient } from './support/sink-client';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 4000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const PUBLISH_MANY = 'mutation($inputs: [PublishJobEventInput!]!) { publishJobEvents(inputs: $inputs) { index result { duplicate } problems { field } } }';

type Mode = 'one per request' | 'batch';

async function publishBatches(url: string, events: JobEvent[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(events.length / BATCH) }, (_, i) => events.slice(i * BATCH, (i + 1) * BATCH));
  await eachInFlight(batches, 2, async (batch) => {
    const res = await gql(url, PUBLISH_MANY, { inputs: batch }, SERVICE_TOKEN);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  });
}

async function run(herald: HeraldProcess, sink: SinkClient, mode: Mode) {
  const events = Array.from({ length: EVENTS }, () => jobEvent('batch'));
  await sink.reset();
  const cpuBefore = herald.cpuMs();
  const started = performance.now();
  if (mode === 'batch') await publishBatches(herald.url, events);
  else await eachInFlight(events, 8, (e) => publish(herald.url, e));
  const publishedS = (performance.now() - started) / 1000;
  await sink.waitFor(EVENTS);
  const seconds = (performance.now() - started) / 1000;
  return { publishedPerS: EVENTS / publishedS, mailsPerS: EVENTS / seconds, cpuMsPerMail: (herald.cpuMs() - cpuBefore) / EVENTS };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const sink = await SinkClient.start();
  const herald = await HeraldProcess.start({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(sink.port),
    SMTP_SECURITY: 'NONE',
    SMTP_AUTH: 'false',
    SMTP_SENDER: 'Herald <herald@bench.example.com>',
    GATEWAY_URI: 'https://console.example.com',
    GRAPHQL_MAX_BATCH_EVENTS: String(Math.max(BATCH, 1)),
  });
  try {
    await seedManagers(herald, 'batch', 1);
    await run(herald, sink, 'one per request'); // warm-up
    const results: Record<Mode, Awaited<ReturnType<typeof run>>[]> = { 'one per request': [], batch: [] };
    for (let rep = 0; rep < REPS; rep++) {
      const order: Mode[] = rep % 2 === 0 ? ['one per request', 'batch'] : ['batch', 'one per request'];
      for (const mode of order) results[mode].push(await run(herald, sink, mode));
    }
    const range = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
    console.log(`${machine()}; SQLite; 1 recipient per event; ${EVENTS} events per run, ${REPS} runs each, alternating; median (min–max)`);
    console.log(
      table(
        (Object.keys(results) as Mode[]).map((mode) => ({
          'way in': mode === 'batch' ? `publishJobEvents, ${BATCH} per request` : 'publishJobEvent, 8 in flight',
          'events accepted/s': range(results[mode].map((r) => r.publishedPerS)),
          'mails/s': range(results[mode].map((r) => r.mailsPerS)),
          'Herald CPU ms/mail': range(results[mode].map((r) => r.cpuMsPerMail), 2),
        })),
      ),
    );
  } finally {
    await herald.stop();
    await sink.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
