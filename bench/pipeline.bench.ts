/**
 * The whole pipeline — ingestion (GraphQL publishJobEvent, or POST /events), planning, dispatch,
 * SMTP — into a local sink, against a bare nodemailer pool sending the same
 * rendered messages to the same sink in the same run. Herald and the sink run in
 * child processes; this process publishes.
 *
 *   npm run bench:pipeline
 *   BENCH_SCENARIOS=throughput,latency,fanout,backlog   which to run (default: all)
 *   BENCH_HERALD_INGRESS=graphql                         how events are published over HTTP: graphql (publishJobEvent, the
 *                                                        default) or http (POST /events); graphql,http: throughput over both
 *   BENCH_EVENTS_1=20000 BENCH_EVENTS_100=400            events for 1 and 100 recipients (each at least 20 s of sending)
 *   BENCH_LATENCY_EVENTS=1000 BENCH_FANOUT=10000 BENCH_BACKLOG=100000
 *   HERALD_BENCH_DATABASE_URL=postgres://…               also on PostgreSQL (BENCH_SKIP_SQLITE=1: only there)
 *   HERALD_BENCH_RABBITMQ_URL=amqp://…                   throughput also with events published over RabbitMQ
 *   BENCH_BACKLOG_PER_EVENT=1000                         recipients per event of the backlog
 *   BENCH_FANOUT_LANGUAGES=1,3 BENCH_FANOUT_ROUNDS=2     fan-out in one language and in three, each that many times, the order reversed every other round
 *   BENCH_FANOUT_CAP=on,off                              fan-out with the mail cap counting (on, the default) and without it (off), alternated
 *
 * A/B of two Herald builds (e.g. a branch against main), instead of the scenarios above:
 *   BENCH_HERALD_A=/work/main/dist/herald.cjs BENCH_HERALD_B=dist/herald.cjs   each run with its own tree's `serve` flags
 *   BENCH_AB_ROUNDS=6                                    rounds; in each both builds run, A first in even rounds, B first in odd ones
 *   BENCH_AB_RECIPIENTS=1,100                            recipients per event (events: BENCH_EVENTS_1, BENCH_EVENTS_100, else BENCH_AB_MAILS / n)
 *   BENCH_AB_MAILS=6000                                  mails per measurement for other recipient counts
 *   BENCH_AB_INGRESS=graphql,http                        A publishes over the first, B over the second (A and B may be
 *                                                        the same build: an A/B of the two ways in)
 * It reports medians of msg/s and of Herald's CPU ms per mail per build, the median of each
 * round's B ÷ A, each round's figures, and the load average while measuring. With
 * HERALD_BENCH_DATABASE_URL / HERALD_BENCH_RABBITMQ_URL it runs on those too, as above.
 *   BENCH_AB_PROCESSES=2                                 each build as that many processes on one PostgreSQL database
 *
 * One process against several on one PostgreSQL database (issue 29), instead of the above:
 *   HERALD_BENCH_DATABASE_URL=postgres://… BENCH_SKIP_SQLITE=1 BENCH_SCENARIOS=processes
 *   BENCH_PROCESSES=2                                    processes against one, alternated for BENCH_AB_ROUNDS rounds
 *                                                        at BENCH_AB_RECIPIENTS (events as for the A/B); BENCH_HERALD_SCRIPT: which build
 *   BENCH_SAME_BATCHES=1                                 the one process with 8 ÷ BENCH_PROCESSES requests in flight, as each of the others has
 *   BENCH_STICKY=1                                       each request in flight keeps to one process (as a keep-alive connection), instead of requests sent to the processes in turn
 *   BENCH_ONE_IN_FLIGHT=4                                the one process with that many (BENCH_PROCESSES=1: one process at 4 against one at 8)
 *   BENCH_PROCESSES_WAY_IN=rabbitmq                      events published to RabbitMQ (HERALD_BENCH_RABBITMQ_URL; confirmed, 64 in flight) and
 *                                                        consumed from one queue by every process (RABBITMQ_PREFETCH each), instead of over HTTP
 *                                                        (the warm-up: BENCH_WARMUP_EVENTS over GraphQL to each, then as many per process
 *                                                        over RabbitMQ; BENCH_WARMUP_BROKER=0: GraphQL only)
 *   BENCH_JOB_KINDS=64 BENCH_HERALD_ENV=MAIL_CAP_COUNT=0   events spread over that many job kinds, and more settings for every Herald process
 *   BENCH_PHASE_FILE=/tmp/phase                          'measure' / 'end' written there around the measured phase (for a preload in Herald:
 *                                                        bench/profiling/count-pg.cjs)
 * It reports medians of msg/s and of CPU ms per mail (all processes), the median of each
 * round's N ÷ 1, and the mails the sink took twice (by Message-ID and recipient).
 */
import { connect as amqpConnect } from 'amqplib';
import { Client as PgClient } from 'pg';
import { HeraldPublisher } from '@herald/client';
import type { JobEvent } from '@herald/contracts';
import { bareNodemailerLoop, preparedMails } from './support/bare-nodemailer';
import { ADMIN_TOKEN, gql, type HeraldIngress, INGRESS_LABEL, parseIngress, publish as publishOver, type Reader, seedManagers } from './support/herald-api';
import { rmSync, writeFileSync } from 'node:fs';
import { HeraldProcess } from './support/herald-process';
import { eachInFlight, jobEvent } from './support/job-events';
import { LoadMonitor, loadLine } from './support/load';
import { commandLine, heraldCommand } from './support/herald-process';
import { cpuDetail, cpuMs, peakRssMb } from './support/process-stats';
import { machine, median, percentile, table } from './support/report';
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

/** How events reach Herald: its GraphQL API, POST /events, or RabbitMQ (a queue of the run's own). */
type WayIn = { name: 'GraphQL' } | { name: 'HTTP' } | { name: 'RabbitMQ'; url: string; queue: string };

const WAY_IN_OF: Record<HeraldIngress, WayIn> = { graphql: { name: 'GraphQL' }, http: { name: 'HTTP' } };
const ingressOf = (wayIn: WayIn): HeraldIngress => (wayIn.name === 'HTTP' ? 'http' : 'graphql');
/** BENCH_HERALD_INGRESS: the ways in over HTTP that throughput measures (the first: what the other scenarios publish over). */
const INGRESSES = (process.env.BENCH_HERALD_INGRESS ?? 'graphql').split(',').map((i) => parseIngress(i));
const INGRESS = INGRESSES[0];
/** BENCH_AB_INGRESS: A's way in and B's, in an A/B (else both publish over the way in of the row). */
const AB_INGRESS = process.env.BENCH_AB_INGRESS?.split(',').map((i) => parseIngress(i, 'BENCH_AB_INGRESS'));
if (AB_INGRESS && AB_INGRESS.length !== 2) throw new Error('BENCH_AB_INGRESS names two ways in: A\'s and B\'s, e.g. graphql,http');

/** The machine's load while each scenario runs, printed with the tables. */
const load = new LoadMonitor();

/** `build`: a herald.cjs to run instead of this tree's (the A/B). */
async function startHerald(target: Target, sink: SinkClient, smtp: boolean, wayIn: WayIn = { name: 'GraphQL' }, extra: Record<string, string> = {}, build?: string): Promise<HeraldProcess> {
  return HeraldProcess.start(heraldEnv(target, sink, smtp, wayIn, extra), undefined, undefined, build);
}

function heraldEnv(target: Target, sink: SinkClient, smtp: boolean, wayIn: WayIn, extra: Record<string, string>): Record<string, string> {
  return {
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
    ...(process.env.BENCH_PHASE_FILE ? { BENCH_PHASE_FILE: process.env.BENCH_PHASE_FILE } : {}), // for a preload (bench/profiling)
    ...extraEnv(),
  };
}

/**
 * `processes` Herald processes of one build on one database (PostgreSQL; SQLite allows
 * one writer process): the first starts alone (it runs the migrations), the others on
 * its database and schema once it answers. Stopped together; the schema goes with the first.
 */
async function startHeralds(target: Target, sink: SinkClient, processes: number, wayIn: WayIn, build?: string): Promise<{ all: HeraldProcess[]; stop(): Promise<void> }> {
  if (processes > 1 && !target.db) throw new Error('several Herald processes need PostgreSQL (HERALD_BENCH_DATABASE_URL)');
  const first = await startHerald(target, sink, true, wayIn, {}, build);
  const all = [first];
  const stop = async () => {
    for (const other of all.slice(1)) await other.stop({ keepData: true }).then(() => rmSync(other.dataDir, { recursive: true, force: true }));
    await first.stop();
  };
  try {
    const { PORT: _port, DATA_DIR: _dir, ...shared } = first.env; // each its own port and data folder
    for (let i = 1; i < processes; i++) all.push(await HeraldProcess.start(shared, undefined, undefined, build));
  } catch (error) {
    await stop();
    throw error;
  }
  return { all, stop };
}

/** Publishes one event over BENCH_HERALD_INGRESS, or `ingress`. */
const publish = (url: string, e: JobEvent, ingress = INGRESS) => publishOver(url, e, ingress);

/** Publishes events over HTTP (GraphQL or POST /events) with a few requests in flight; returns when all are planned. */
const publishAll = (url: string, events: JobEvent[], inFlight = 8, ingress = INGRESS) => eachInFlight(events, inFlight, (e) => publish(url, e, ingress));

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
  await channel.deleteQueue(`${wayIn.queue}.dead-letter`); // Herald's, made beside it
  await connection.close();
}

/**
 * Herald alone: starts `build` (or this tree's) — `processes` of it on one database —,
 * publishes `eventCount` events to `recipients` managers each (to the processes in turn),
 * after BENCH_WARMUP_EVENTS events (default 0; `processes`: 1,000 ÷ recipients) to each process, unmeasured;
 * from the first publish to the sink's last 250. CPU per mail counts every process;
 * `duplicates`: mails the sink took more than once (by Message-ID, which names the delivery),
 * counted once every mail has arrived and a moment more (PROCESS_SETTLE_MS) has passed.
 */
async function heraldThroughput(target: Target, sink: SinkClient, recipients: number, eventCount: number, wayIn: WayIn, build?: string, processes = 1, warmupEvents = env('BENCH_WARMUP_EVENTS', 0), inFlight = 8) {
  const heralds = await startHeralds(target, sink, processes, wayIn, build);
  const [herald] = heralds.all;
  try {
    const appId = `tp${recipients}`;
    await seedManagers(herald, appId, recipients);
    const expected = eventCount * recipients;
    // Warm-up, unmeasured: each process's JIT compiles the hot path once, whatever the count of processes.
    for (const h of heralds.all) {
      const warmup = Array.from({ length: warmupEvents }, () => jobEvent(appId));
      if (warmup.length) {
        await sink.reset();
        await publishAll(h.url, warmup, 8, ingressOf(wayIn));
        await sink.waitFor(warmup.length * recipients);
      }
    }
    // Over RabbitMQ, the broker's path too (amqplib, the consumer, its acks): as many again per process, through the
    // one queue (each process takes its share). BENCH_WARMUP_BROKER=0: over GraphQL only (as before 7 December, 12:00).
    if (wayIn.name === 'RabbitMQ' && warmupEvents > 0 && process.env.BENCH_WARMUP_BROKER !== '0') {
      await sink.reset();
      await publishOverRabbitMq(wayIn, Array.from({ length: warmupEvents * heralds.all.length }, () => jobEvent(appId)));
      await sink.waitFor(warmupEvents * heralds.all.length * recipients);
    }
    // Made after the warm-up's, so that they happened after them: the job history takes them in order, as it
    // takes a console's events (made before, each would be a late failure, with a count of its row's failures of its own).
    const events = Array.from({ length: eventCount }, () => jobEvent(appId));
    await sink.reset();
    const cpu = () => heralds.all.reduce((sum, h) => sum + h.cpuMs(), 0);
    const cpuBefore = cpu();
    const detail = () => heralds.all.map((h) => cpuDetail(h.child.pid!)).reduce((a, d) => ({ userMs: a.userMs + d.userMs, systemMs: a.systemMs + d.systemMs, mainThreadMs: a.mainThreadMs + d.mainThreadMs, voluntary: a.voluntary + d.voluntary, involuntary: a.involuntary + d.involuntary }));
    const detailBefore = detail();
    const commitsBefore = await databaseCommits(target);
    const sinkCpuBefore = sink.cpuMs();
    markPhase('measure');
    const started = performance.now();
    if (wayIn.name === 'RabbitMQ') await publishOverRabbitMq(wayIn, events);
    else if (processes === 1) await publishAll(herald.url, events, inFlight, ingressOf(wayIn));
    else {
      if (process.env.BENCH_STICKY === '1') {
        // Each of the requests in flight keeps to one process, as a client's keep-alive connection does behind a connection-level balancer.
        let next = 0;
        await Promise.all(Array.from({ length: inFlight }, async (_, w) => {
          while (next < events.length) await publish(heralds.all[w % processes].url, events[next++], ingressOf(wayIn));
        }));
      } else {
        let n = 0;
        await eachInFlight(events, inFlight, (e) => publish(heralds.all[n++ % processes].url, e, ingressOf(wayIn)));
      }
    }
    const publishedMs = performance.now() - started;
    await sink.waitFor(expected);
    markPhase('end');
    const seconds = (performance.now() - started) / 1000;
    const cpuMsPerMail = (cpu() - cpuBefore) / expected;
    const sinkCpuMsPerMail = (sink.cpuMs() - sinkCpuBefore) / expected;
    const detailAfter = detail();
    const perMail = (k: keyof typeof detailAfter) => (detailAfter[k] - detailBefore[k]) / expected;
    const commits = commitsBefore === undefined ? undefined : (await databaseCommits(target, true))! - commitsBefore;
    // Where the CPU per mail goes: user and system time, the main threads' context switches (wake-ups, preemptions), the database's transactions.
    console.error(
      `  ${processes} process(es), ${wayIn.name === 'RabbitMQ' ? 'over RabbitMQ' : `${inFlight} in flight`}: user ${perMail('userMs').toFixed(3)} + system ${perMail('systemMs').toFixed(3)} ms/mail (main thread ${perMail('mainThreadMs').toFixed(3)}), ` +
        `${perMail('voluntary').toFixed(2)} voluntary + ${perMail('involuntary').toFixed(2)} involuntary context switches/mail` +
        (commits === undefined ? '' : `, ${Math.round((commits * 1000) / expected)} transactions per 1,000 mails`),
    );
    let duplicates: number | undefined;
    if (processes > 1) {
      await new Promise((r) => setTimeout(r, PROCESS_SETTLE_MS));
      const accepted = await sink.acceptedSince(0);
      duplicates = accepted.length - new Set(accepted.map((a) => `${a.messageId} ${a.to}`)).size;
    }
    return {
      events,
      mails: expected,
      rate: expected / seconds,
      cpuMsPerMail,
      sinkCpuMsPerMail,
      publishedMs,
      peakRssMb: peakRssMb(herald.child.pid!),
      duplicates,
    };
  } finally {
    await heralds.stop();
    await deleteQueue(wayIn);
  }
}

/**
 * PostgreSQL: the transactions committed in the bench's database so far (pg_stat_database,
 * which the server updates at most once a second: `settled` waits for that first).
 */
async function databaseCommits(target: Target, settled = false): Promise<number | undefined> {
  if (!target.db) return undefined;
  if (settled) await new Promise((r) => setTimeout(r, 1500));
  const client = new PgClient({ connectionString: target.db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * BENCH_PHASE_FILE=/tmp/…: 'measure' written there when the measured phase begins and 'end' when its
 * last mail has arrived, for a preload in Herald (BENCH_HERALD_NODE_OPTIONS=--require …) to count that phase alone.
 */
function markPhase(phase: 'measure' | 'end'): void {
  if (process.env.BENCH_PHASE_FILE) writeFileSync(process.env.BENCH_PHASE_FILE, `${phase} ${Date.now()}\n`);
}

/** BENCH_HERALD_ENV=K=V,…: more settings for every Herald process (a value may hold '=', not ','). */
function extraEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_HERALD_ENV ?? '').split(',').filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`BENCH_HERALD_ENV: "${pair}" is not NAME=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** How long a run of several processes waits after the last expected mail for any sent twice. */
const PROCESS_SETTLE_MS = 2000;

/**
 * One build as one process and as `BENCH_PROCESSES` (2) processes on one PostgreSQL
 * database, alternated (one first in rounds 1, 3, …), at each of BENCH_AB_RECIPIENTS:
 * medians of msg/s and of CPU ms per mail (all processes), the median of each round's
 * own N ÷ 1, and the duplicates the sink saw.
 */
async function processesComparison(target: Target, sink: SinkClient, wayIn: WayIn, build?: string): Promise<string> {
  const rounds = env('BENCH_AB_ROUNDS', 6);
  const processes = env('BENCH_PROCESSES', 2);
  /** The other side's column label: with BENCH_PROCESSES=1 both sides are one process, told apart as 1 and 1′. */
  const other = processes === 1 ? '1′' : String(processes);
  const recipientCounts = (process.env.BENCH_AB_RECIPIENTS ?? '1,100').split(',').map(Number);
  const eventsFor = (n: number) => (n === 1 ? env('BENCH_EVENTS_1', 20_000) : n === 100 ? env('BENCH_EVENTS_100', 400) : Math.max(1, Math.round(env('BENCH_AB_MAILS', 6000) / n)));
  const rows: Record<string, string | number>[] = [];
  const perRound: Record<string, string | number>[] = [];
  for (const recipients of recipientCounts) {
    const runs: Record<'one' | 'many', { rate: number; cpuMsPerMail: number; duplicates?: number }[]> = { one: [], many: [] };
    for (let round = 0; round < rounds; round++) {
      const from = load.samples.length;
      for (const which of round % 2 === 0 ? (['one', 'many'] as const) : (['many', 'one'] as const)) {
        const warmup = env('BENCH_WARMUP_EVENTS', Math.ceil(1000 / recipients));
        // BENCH_SAME_BATCHES=1: the one process gets as many requests in flight as each of the others (8 ÷ processes),
        // so that it records events in batches as small as theirs: what the batches' size alone costs.
        // BENCH_ONE_IN_FLIGHT=n: the one process with n (with BENCH_PROCESSES=1, one process at n against one at 8).
        const one = process.env.BENCH_ONE_IN_FLIGHT ? env('BENCH_ONE_IN_FLIGHT', 8) : process.env.BENCH_SAME_BATCHES === '1' ? Math.ceil(8 / processes) : 8;
        const inFlight = which === 'one' ? one : 8;
        const m = await load.during(() => heraldThroughput(target, sink, recipients, eventsFor(recipients), wayIn, build, which === 'one' ? 1 : processes, warmup, inFlight));
        runs[which].push(m);
        console.error(`processes round ${round + 1}, ${recipients} recipients: ${which === 'one' ? 1 : processes} process(es) ${Math.round(m.rate)} msg/s, ${m.cpuMsPerMail.toFixed(3)} CPU ms/mail${m.duplicates === undefined ? '' : `, ${m.duplicates} duplicates`}`);
      }
      const l = load.summary(from);
      perRound.push({
        recipients, round: round + 1, first: round % 2 === 0 ? '1' : other,
        '1 msg/s': Math.round(runs.one[round].rate), [`${other} msg/s`]: Math.round(runs.many[round].rate),
        '1 CPU ms/mail': runs.one[round].cpuMsPerMail.toFixed(3), [`${other} CPU ms/mail`]: runs.many[round].cpuMsPerMail.toFixed(3),
        duplicates: runs.many[round].duplicates ?? 0,
        'load median (max)': `${l.median.toFixed(2)} (${l.max.toFixed(2)})`,
      });
    }
    const ratio = (pick: (m: { rate: number; cpuMsPerMail: number }) => number) => median(runs.one.map((_, i) => pick(runs.many[i]) / pick(runs.one[i])));
    rows.push({
      recipients,
      mails: eventsFor(recipients) * recipients,
      '1 msg/s': Math.round(median(runs.one.map((m) => m.rate))),
      [`${other} msg/s`]: Math.round(median(runs.many.map((m) => m.rate))),
      [`${other} ÷ 1, msg/s`]: ratio((m) => m.rate).toFixed(2),
      '1 CPU ms/mail': median(runs.one.map((m) => m.cpuMsPerMail)).toFixed(3),
      [`${other} CPU ms/mail`]: median(runs.many.map((m) => m.cpuMsPerMail)).toFixed(3),
      [`${other} ÷ 1, CPU/mail`]: ratio((m) => m.cpuMsPerMail).toFixed(2),
      duplicates: runs.many.reduce((sum, m) => sum + (m.duplicates ?? 0), 0),
    });
  }
  return roundsReport(
    [
      `One Herald process against ${processes} on one ${target.name} database — ${machine()}, pool ${POOL} each, ${rounds} rounds alternated, medians; ratios: the median of each round's own ${processes} ÷ 1`,
      wayIn.name === 'RabbitMQ'
        ? 'Events published to RabbitMQ (persistent, confirmed, 64 in flight) and consumed from one queue by every process (RABBITMQ_PREFETCH: Herald\'s default, 50 each); the warm-up over GraphQL' +
          (process.env.BENCH_WARMUP_BROKER === '0' ? '' : ', then as many per process over RabbitMQ')
        : `Events over ${wayIn.name === 'HTTP' ? 'POST /events' : 'GraphQL'}, 8 requests in flight, ${process.env.BENCH_STICKY === '1' ? 'each kept to one process' : 'sent to the processes in turn'}`,
      `Herald: ${commandLine(heraldCommand(build))}`,
    ],
    rows,
    loadLine(load.summary()),
    perRound,
  );
}

/** A run of alternated rounds: its heading lines, the medians, the load, each round. */
function roundsReport(heading: string[], rows: Parameters<typeof table>[0], load: string, perRound: Parameters<typeof table>[0]): string {
  return [...heading, '', table(rows), '', load, '', 'Per round:', '', table(perRound)].join('\n');
}

/** Herald, then the bare nodemailer loop with the same rendered mails (half as many events), into the same sink. */
async function throughput(target: Target, sink: SinkClient, recipients: number, eventCount: number, wayIn: WayIn) {
  const h = await heraldThroughput(target, sink, recipients, eventCount, wayIn);
  await sink.reset();
  const bare = await bareNodemailerLoop(sink.port, preparedMails(h.events.slice(0, Math.max(1, Math.ceil(eventCount / 2))), recipients), POOL);
  return {
    database: target.name,
    'way in': wayIn.name,
    recipients,
    events: eventCount,
    mails: h.mails,
    'Herald msg/s': Math.round(h.rate),
    'bare nodemailer msg/s': Math.round(bare.rate),
    ratio: (h.rate / bare.rate).toFixed(2),
    'Herald CPU ms/mail': h.cpuMsPerMail.toFixed(2),
    'bare CPU ms/mail': bare.cpuMsPerMail.toFixed(2),
    'all published after s': (h.publishedMs / 1000).toFixed(1),
    'Herald peak RSS MB': h.peakRssMb,
  };
}

/**
 * Two Herald builds, A and B, alternated: in each round both run every scenario (a fresh
 * process each time), A first in even rounds and B first in odd ones, so that a machine
 * growing busier or quieter weighs on both alike. Medians per build, and the median of
 * each round's own B ÷ A.
 */
async function abComparison(targets: Target[], waysIn: WayIn[], sink: SinkClient, a: string, b: string): Promise<string> {
  const rounds = env('BENCH_AB_ROUNDS', 6);
  const recipientCounts = (process.env.BENCH_AB_RECIPIENTS ?? '1,100').split(',').map(Number);
  const eventsFor = (n: number) => (n === 1 ? env('BENCH_EVENTS_1', 20_000) : n === 100 ? env('BENCH_EVENTS_100', 400) : Math.max(1, Math.round(env('BENCH_AB_MAILS', 6000) / n)));
  const builds = { A: a, B: b };
  const rows: Record<string, string | number>[] = [];
  const perRound: Record<string, string | number>[] = [];
  for (const target of targets) {
    for (const wayIn of waysIn) {
      // BENCH_AB_INGRESS: each side over its own way in (RabbitMQ's rows stay RabbitMQ for both).
      const sideWayIn = (which: 'A' | 'B') => (AB_INGRESS && wayIn.name !== 'RabbitMQ' ? WAY_IN_OF[AB_INGRESS[which === 'A' ? 0 : 1]] : wayIn);
      const wayInName = sideWayIn('A').name === sideWayIn('B').name ? sideWayIn('A').name : `${sideWayIn('A').name} / ${sideWayIn('B').name}`;
      for (const recipients of recipientCounts) {
        const runs: Record<'A' | 'B', { rate: number; cpuMsPerMail: number }[]> = { A: [], B: [] };
        for (let round = 0; round < rounds; round++) {
          const from = load.samples.length;
          for (const which of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) { // A first in rounds 1, 3, …
            const m = await load.during(() => heraldThroughput(target, sink, recipients, eventsFor(recipients), sideWayIn(which), builds[which], env('BENCH_AB_PROCESSES', 1)));
            runs[which].push(m);
            console.error(`A/B round ${round + 1}, ${target.name}, ${sideWayIn(which).name}, ${recipients} recipients: ${which} ${Math.round(m.rate)} msg/s, ${m.cpuMsPerMail.toFixed(3)} CPU ms/mail`);
          }
          const l = load.summary(from);
          perRound.push({
            database: target.name, 'way in': wayInName, recipients, round: round + 1, first: round % 2 === 0 ? 'A' : 'B',
            'A msg/s': Math.round(runs.A[round].rate), 'B msg/s': Math.round(runs.B[round].rate),
            'A CPU ms/mail': runs.A[round].cpuMsPerMail.toFixed(3), 'B CPU ms/mail': runs.B[round].cpuMsPerMail.toFixed(3),
            'load median (max)': `${l.median.toFixed(2)} (${l.max.toFixed(2)})`,
          });
        }
        const ratio = (pick: (m: { rate: number; cpuMsPerMail: number }) => number) => median(runs.A.map((_, i) => pick(runs.B[i]) / pick(runs.A[i])));
        rows.push({
          database: target.name,
          'way in': wayInName,
          recipients,
          mails: eventsFor(recipients) * recipients,
          'A msg/s': Math.round(median(runs.A.map((m) => m.rate))),
          'B msg/s': Math.round(median(runs.B.map((m) => m.rate))),
          'B ÷ A, msg/s': ratio((m) => m.rate).toFixed(2),
          'A CPU ms/mail': median(runs.A.map((m) => m.cpuMsPerMail)).toFixed(3),
          'B CPU ms/mail': median(runs.B.map((m) => m.cpuMsPerMail)).toFixed(3),
          'B ÷ A, CPU/mail': ratio((m) => m.cpuMsPerMail).toFixed(2),
        });
      }
    }
  }
  const note = rounds % 2 ? `\nNote: ${rounds} rounds: A went first once more than B (use an even number).` : '';
  return roundsReport(
    [
      `A/B of two Herald builds — ${machine()}, pool ${POOL}, ${rounds} rounds alternated (A first in rounds 1, 3, …; B in 2, 4, …), medians; ratios: the median of each round's own B ÷ A${note}`,
      `A: ${commandLine(heraldCommand(a))}${AB_INGRESS ? `, events over ${INGRESS_LABEL[AB_INGRESS[0]]}` : ''}`,
      `B: ${commandLine(heraldCommand(b))}${AB_INGRESS ? `, events over ${INGRESS_LABEL[AB_INGRESS[1]]}` : ''}`,
      loadLine(load.summary()),
    ],
    rows,
    loadLine(load.summary()),
    perRound,
  );
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
  const waysIn: WayIn[] = [...INGRESSES.map((i) => WAY_IN_OF[i]), ...(rabbitMqUrl ? [{ name: 'RabbitMQ' as const, url: rabbitMqUrl, queue: `herald.bench.${process.pid}` }] : [])];
  const sink = await SinkClient.start();
  const [a, b] = [process.env.BENCH_HERALD_A, process.env.BENCH_HERALD_B];
  if (SCENARIOS.includes('processes')) {
    try {
      const pg = targets.find((t) => t.db);
      if (!pg) throw new Error('BENCH_SCENARIOS=processes needs PostgreSQL (HERALD_BENCH_DATABASE_URL)');
      const overBroker = process.env.BENCH_PROCESSES_WAY_IN === 'rabbitmq';
      if (overBroker && !rabbitMqUrl) throw new Error('BENCH_PROCESSES_WAY_IN=rabbitmq needs RabbitMQ (HERALD_BENCH_RABBITMQ_URL)');
      const wayIn: WayIn = overBroker ? { name: 'RabbitMQ', url: rabbitMqUrl!, queue: `herald.bench.${process.pid}` } : WAY_IN_OF[INGRESS];
      const report = await processesComparison(pg, sink, wayIn, process.env.BENCH_HERALD_SCRIPT);
      console.log(`\n${report}\n`);
    } finally {
      await sink.stop();
      load.stop();
    }
    return;
  }
  if (a || b) {
    try {
      if (!a || !b) throw new Error('an A/B needs both BENCH_HERALD_A and BENCH_HERALD_B (paths to a dist/herald.cjs)');
      const report = await abComparison(targets, waysIn, sink, a, b);
      console.log(`\n${report}\n`);
    } finally {
      await sink.stop();
      load.stop();
    }
    return;
  }
  const results: Record<string, Record<string, string | number>[]> = { throughput: [], latency: [], fanout: [], backlog: [] };
  const measure = <T>(part: () => Promise<T>) => load.during(part);
  try {
    for (const target of targets) {
      if (SCENARIOS.includes('throughput')) {
        for (const wayIn of waysIn) {
          results.throughput.push(await measure(() => throughput(target, sink, 1, env('BENCH_EVENTS_1', 20_000), wayIn)));
          results.throughput.push(await measure(() => throughput(target, sink, 100, env('BENCH_EVENTS_100', 400), wayIn)));
        }
      }
      if (SCENARIOS.includes('latency')) results.latency.push(await measure(() => latency(target, sink, env('BENCH_LATENCY_EVENTS', 1000))));
      if (SCENARIOS.includes('fanout')) {
        // Alternated, each several times, every other round in the reverse order (1,3 3,1 1,3): a machine
        // growing busier or quieter through the run weighs on both kinds alike; the spread between runs of a kind shows the drift.
        const kinds = (process.env.BENCH_FANOUT_LANGUAGES ?? '1,3').split(',');
        for (let round = 0; round < env('BENCH_FANOUT_ROUNDS', 2); round++) {
          // Every kind (languages × cap on/off) once a round, the order reversed every other round.
          const each = kinds.flatMap((languages) => (process.env.BENCH_FANOUT_CAP ?? 'on').split(',').map((cap) => ({ languages, cap })));
          for (const { languages, cap } of round % 2 ? [...each].reverse() : each) {
            results.fanout.push({ round: round + 1, ...(await measure(() => fanout(target, sink, env('BENCH_FANOUT', 10_000), languages, cap))) });
          }
        }
      }
      if (SCENARIOS.includes('backlog')) results.backlog.push(await measure(() => backlog(target, sink, env('BENCH_BACKLOG', 100_000))));
    }
  } finally {
    await sink.stop();
    load.stop();
  }
  console.log(`\nPipeline — ${machine()}, pool ${POOL}; Herald: ${commandLine(heraldCommand())}; latency and fan-out publish over ${INGRESS_LABEL[INGRESS]}\n`);
  const loaded = loadLine(load.summary());
  for (const [name, rows] of Object.entries(results)) if (rows.length) console.log(`${name}\n\n${table(rows)}\n\n${loaded}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
