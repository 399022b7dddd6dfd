/**
 * The whole pipeline — ingestion (GraphQL publishJobEvent), planning, dispatch,
 * SMTP — into a local sink, against a bare nodemailer pool sending the same
 * rendered messages to the same sink in the same run. Herald and the sink run in
 * child processes; this process publishes.
 *
 *   npm run bench:pipeline
 *   BENCH_SCENARIOS=throughput,latency,fanout,backlog   which to run (default: all)
 *   BENCH_EVENTS_1=20000 BENCH_EVENTS_100=400            events for 1 and 100 recipients (each at least 20 s of sending)
 *   BENCH_LATENCY_EVENTS=1000 BENCH_FANOUT=10000 BENCH_BACKLOG=100000
 *   HERALD_BENCH_DATABASE_URL=postgres://…               also on PostgreSQL (BENCH_SKIP_SQLITE=1: only there)
 *   HERALD_BENCH_RABBITMQ_URL=amqp://…                   throughput also with events published over RabbitMQ
 *   BENCH_BACKLOG_PER_EVENT=1000                         recipients per event of the backlog
 *   BENCH_FANOUT_LANGUAGES=1,3 BENCH_FANOUT_ROUNDS=2     fan-out in one language and in three, each that many times, the order reversed every other round
 *   BENCH_FANOUT_CAP=on,off                              fan-out with the mail cap counting (on, the default) and without it (off), alternated
 */
import { connect as amqpConnect } from 'amqplib';
import { HeraldPublisher } from '@herald/client';
import type { JobEvent } from '@herald/contracts';
import { bareNodemailerLoop, preparedMails } from './support/bare-nodemailer';
import { ADMIN_TOKEN, gql, publish, type Reader, seedManagers } from './support/herald-api';
import { HeraldProcess } from './support/herald-process';
import { eachInFlight, jobEvent } from './support/job-events';
import { cpuMs, peakRssMb } from './support/process-stats';
import { machine, percentile, table } from './support/report';
import { SinkClient } from './support/sink-client';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'throughput,latency,fanout,backlog').split(',');
const POOL = 5;
const SECRET_KEY = 'b'.repeat(64);
let seq = 0;

interface Target {
  name: string;
  db?: { url: string; schema: string };
}

/** How events reach Herald: its GraphQL API, or RabbitMQ (a queue of the run's own). */
type WayIn = { name: 'GraphQL' } | { name: 'RabbitMQ'; url: string; queue: string };

async function startHerald(target: Target, sink: SinkClient, smtp: boolean, wayIn: WayIn = { name: 'GraphQL' }, extra: Record<string, string> = {}): Promise<HeraldProcess> {
  return HeraldProcess.start({
    ...extra,
    ...(wayIn.name === 'RabbitMQ' ? { RABBITMQ_URL: wayIn.url, RABBITMQ_QUEUE: wayIn.queue } : {}),
    HERALD_SECRET_KEY: SECRET_KEY,
    ...(target.db ? { DATABASE_URL: target.db.url, DATABASE_SCHEMA: `${target.db.schema}_${++seq}` } : {}),
    ...(smtp ? { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(sink.port) } : {}),
    SMTP_SECURITY: 'NONE',
    SMTP_AUTH: 'false',
    SMTP_SENDER: 'Herald <herald@bench.example.com>',
    SMTP_POOL_SIZE: String(POOL),
    GATEWAY_URI: 'https://console.example.com',
  });
}

/** Publishes events through GraphQL with a few requests in flight; returns when all are planned. */
const publishAll = (url: string, events: JobEvent[], inFlight = 8) => eachInFlight(events, inFlight, (e) => publish(url, e));

/**
 * Publishes events over RabbitMQ (libs/client: persistent, confirmed); returns when
 * RabbitMQ has confirmed them all, then deletes the run's queue once Herald is done.
 */
async function publishOverRabbitMq(wayIn: Extract<WayIn, { name: 'RabbitMQ' }>, events: JobEvent[]): Promise<void> {
  const publisher = new HeraldPublisher({ url: wayIn.url, queue: wayIn.queue });
  try {
    await eachInFlight(events, 64, (e) => publisher.publish(e));
  } finally {
    await publisher.close();
  }
}

async function deleteQueue(wayIn: WayIn): Promise<void> {
  if (wayIn.name !== 'RabbitMQ') return;
  const connection = await amqpConnect(wayIn.url);
  const channel = await connection.createChannel();
  await channel.deleteQueue(wayIn.queue);
  await connection.close();
}

async function throughput(target: Target, sink: SinkClient, recipients: number, eventCount: number, wayIn: WayIn) {
  const herald = await startHerald(target, sink, true, wayIn);
  try {
    const appId = `tp${recipients}`;
    await seedManagers(herald, appId, recipients);
    const events = Array.from({ length: eventCount }, () => jobEvent(appId));
    const expected = eventCount * recipients;
    await sink.reset();
    const cpuBefore = herald.cpuMs();
    const started = performance.now();
    if (wayIn.name === 'RabbitMQ') await publishOverRabbitMq(wayIn, events);
    else await publishAll(herald.url, events);
    const publishedMs = performance.now() - started;
    await sink.waitFor(expected);
    const seconds = (performance.now() - started) / 1000;
    const heraldRate = expected / seconds;
    const heraldCpu = (herald.cpuMs() - cpuBefore) / expected;

    await sink.reset();
    const bare = await bareNodemailerLoop(sink.port, preparedMails(events.slice(0, Math.max(1, Math.ceil(eventCount / 2))), recipients), POOL);
    return {
      database: target.name,
      'way in': wayIn.name,
      recipients,
      events: eventCount,
      mails: expected,
      'Herald msg/s': Math.round(heraldRate),
      'bare nodemailer msg/s': Math.round(bare.rate),
      ratio: (heraldRate / bare.rate).toFixed(2),
      'Herald CPU ms/mail': heraldCpu.toFixed(2),
      'bare CPU ms/mail': bare.cpuMsPerMail.toFixed(2),
      'all published after s': (publishedMs / 1000).toFixed(1),
      'Herald peak RSS MB': peakRssMb(herald.child.pid!),
    };
  } finally {
    await herald.stop();
    await deleteQueue(wayIn);
  }
}

async function latency(target: Target, sink: SinkClient, count: number) {
  const herald = await startHerald(target, sink, true);
  try {
    await seedManagers(herald, 'lat', 1);
    for (let i = 0; i < 20; i++) await publish(herald.url, jobEvent('lat')); // warm up
    await sink.waitFor(20);
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const before = await sink.count();
      const start = performance.timeOrigin + performance.now();
      await publish(herald.url, jobEvent('lat'));
      await sink.waitFor(before + 1);
      const [accepted] = await sink.acceptedSince(before);
      samples.push(accepted.at - start);
    }
    samples.sort((a, b) => a - b);
    return { database: target.name, events: count, 'p50 ms': percentile(samples, 50).toFixed(1), 'p95 ms': percentile(samples, 95).toFixed(1), 'p99 ms': percentile(samples, 99).toFixed(1), 'max ms': samples.at(-1)!.toFixed(1) };
  } finally {
    await herald.stop();
  }
}

/**
 * The fan-out's readers: everyone in English with no zone, as seeded (one mail to render,
 * as before mails had languages), or three locales in three zones (three renders).
 */
const FANOUT_READERS: Record<string, { name: string; readers?: Reader[] }> = {
  1: { name: '1 (en)' },
  3: {
    name: '3 (en, fr, fr-CA)',
    readers: [
      { locale: 'en', timeZone: 'America/New_York' },
      { locale: 'fr', timeZone: 'Europe/Paris' },
      { locale: 'fr-CA', timeZone: 'America/Toronto' },
    ],
  },
};

async function fanout(target: Target, sink: SinkClient, managers: number, languages: string, cap = 'on') {
  // The cap on: every recipient's count is kept (HeraldProcess' count folds none); off: MAIL_CAP_COUNT=0.
  const herald = await startHerald(target, sink, true, undefined, cap === 'off' ? { MAIL_CAP_COUNT: '0' } : {});
  try {
    await seedManagers(herald, 'fan', managers, FANOUT_READERS[languages].readers);
    await sink.reset();
    const cpuBefore = cpuMs(herald.child.pid!);
    const start = performance.now();
    await publish(herald.url, jobEvent('fan'));
    const planned = performance.now() - start;
    const plannedCpu = cpuMs(herald.child.pid!) - cpuBefore;
    await sink.waitFor(managers);
    const last = performance.now() - start;
    const cpu = cpuMs(herald.child.pid!) - cpuBefore;
    return {
      database: target.name,
      recipients: managers,
      languages: FANOUT_READERS[languages].name,
      'mail cap': cap,
      'Herald CPU ms to plan': Math.round(plannedCpu),
      'Herald CPU s in all': (cpu / 1000).toFixed(1),
      'planned (publish answered) ms': Math.round(planned),
      'last mail accepted s': (last / 1000).toFixed(1),
      'msg/s': Math.round(managers / (last / 1000)),
      'Herald peak RSS MB': peakRssMb(herald.child.pid!),
    };
  } finally {
    await herald.stop();
  }
}

async function backlog(target: Target, sink: SinkClient, deliveries: number) {
  const perEvent = env('BENCH_BACKLOG_PER_EVENT', 1000);
  const herald = await startHerald(target, sink, false); // no relay yet: everything waits
  try {
    await seedManagers(herald, 'backlog', perEvent);
    await publishAll(herald.url, Array.from({ length: Math.ceil(deliveries / perEvent) }, () => jobEvent('backlog')), perEvent > 10 ? 2 : 8);
    await sink.reset();
    const start = performance.now();
    await gql(herald.url, 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', { input: { host: '127.0.0.1', port: sink.port } }, ADMIN_TOKEN);
    await sink.waitFor(deliveries, 1_800_000);
    const seconds = (performance.now() - start) / 1000;
    return { database: target.name, deliveries, 'drained in s': seconds.toFixed(1), 'msg/s': Math.round(deliveries / seconds), 'Herald peak RSS MB': peakRssMb(herald.child.pid!) };
  } finally {
    await herald.stop();
  }
}

async function main() {
  const targets: Target[] = process.env.BENCH_SKIP_SQLITE ? [] : [{ name: 'SQLite' }];
  if (process.env.HERALD_BENCH_DATABASE_URL) targets.push({ name: 'PostgreSQL', db: { url: process.env.HERALD_BENCH_DATABASE_URL, schema: `herald_bench_${process.pid}` } });
  const rabbitMqUrl = process.env.HERALD_BENCH_RABBITMQ_URL;
  const waysIn: WayIn[] = [{ name: 'GraphQL' }, ...(rabbitMqUrl ? [{ name: 'RabbitMQ' as const, url: rabbitMqUrl, queue: `herald.bench.${process.pid}` }] : [])];
  const sink = await SinkClient.start();
  const results: Record<string, Record<string, string | number>[]> = { throughput: [], latency: [], fanout: [], backlog: [] };
  try {
    for (const target of targets) {
      if (SCENARIOS.includes('throughput')) {
        for (const wayIn of waysIn) {
          results.throughput.push(await throughput(target, sink, 1, env('BENCH_EVENTS_1', 20_000), wayIn));
          results.throughput.push(await throughput(target, sink, 100, env('BENCH_EVENTS_100', 400), wayIn));
        }
      }
      if (SCENARIOS.includes('latency')) results.latency.push(await latency(target, sink, env('BENCH_LATENCY_EVENTS', 1000)));
      if (SCENARIOS.includes('fanout')) {
        // Alternated, each several times, every other round in the reverse order (1,3 3,1 1,3): a machine
        // growing busier or quieter through the run weighs on both kinds alike; the spread between runs of a kind shows the drift.
        const kinds = (process.env.BENCH_FANOUT_LANGUAGES ?? '1,3').split(',');
        for (let round = 0; round < env('BENCH_FANOUT_ROUNDS', 2); round++) {
          // Every kind (languages × cap on/off) once a round, the order reversed every other round.
          const each = kinds.flatMap((languages) => (process.env.BENCH_FANOUT_CAP ?? 'on').split(',').map((cap) => ({ languages, cap })));
          for (const { languages, cap } of round % 2 ? [...each].reverse() : each) {
            results.fanout.push({ round: round + 1, ...(await fanout(target, sink, env('BENCH_FANOUT', 10_000), languages, cap)) });
          }
        }
      }
      if (SCENARIOS.includes('backlog')) results.backlog.push(await backlog(target, sink, env('BENCH_BACKLOG', 100_000)));
    }
  } finally {
    sink.stop();
  }
  console.log(`\nPipeline — ${machine()}, pool ${POOL}\n`);
  for (const [name, rows] of Object.entries(results)) if (rows.length) console.log(`${name}\n\n${table(rows)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
