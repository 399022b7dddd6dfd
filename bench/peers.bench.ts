/**
 * Herald against the stack a NestJS team would otherwise build (bench/peers/stack:
 * an HTTP endpoint, @nestjs/bullmq on Redis with one job per recipient, a worker
 * of concurrency 20, a nodemailer pool of 5, recipients from a TypeORM table on
 * SQLite) and against the bare nodemailer loop — in one run, with the same events
 * to the same counting SMTP sink (its own process). Each repetition starts Herald
 * and the peer afresh and rotates which of the three goes first in every
 * scenario; the table shows medians over the repetitions, and ratios are the
 * median of each repetition's own ratio.
 *
 *   npm run bench:peer                      ≈ 6–8 min on a quiet 2-core machine (estimated; 9 min with BENCH_PEER_MAILS=2000 on a loaded one)
 *   BENCH_PEER_SCALE=0.1                    a quick run: every count × 0.1 (results go to bench/results/peers-quick.*)
 *   BENCH_PEER_REPETITIONS=3                repetitions
 *   BENCH_PEER_MAILS=6000                   mails per throughput measurement (per system, per point of the series)
 *   BENCH_PEER_LATENCY_EVENTS=1000          one-recipient events sent one at a time, per system (the systems take turns)
 *   BENCH_PEER_RESTART=0                    skips the store-restart scenario (run once, after the repetitions;
 *                                           BENCH_PEER_REPETITIONS=0 runs it alone)
 *   BENCH_PEER_NODE_OPTIONS=…               flags for the peer's Node (e.g. Herald's heap caps); BENCH_HERALD_NODE_OPTIONS for Herald's
 *
 * Needs Debian's redis-server (apt-get install -y redis-server); starts its own on a free port.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import type { JobEvent } from '@herald/contracts';
import { writeChart } from './chart';
import { createPeerDatabase } from './peers/peer-database';
import { PeerProcess } from './peers/peer-process';
import { freePort, RedisServer } from './peers/redis-server';
import { bareNodemailerLoop, preparedMails } from './support/bare-nodemailer';
import { publish, SERVICE_TOKEN, seedManagers } from './support/herald-api';
import { BENCH_JWT_SECRET, HeraldProcess } from './support/herald-process';
import { eachInFlight, jobEvent } from './support/job-events';
import { cpuMs, peakRssMb, rssMb } from './support/process-stats';
import { machine, percentile, table } from './support/report';
import { SinkClient } from './support/sink-client';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SCALE = env('BENCH_PEER_SCALE', 1);
const REPETITIONS = env('BENCH_PEER_REPETITIONS', 3);
const MAILS = Math.max(100, Math.round(env('BENCH_PEER_MAILS', 6000) * SCALE));
const LATENCY_EVENTS = Math.max(20, Math.round(env('BENCH_PEER_LATENCY_EVENTS', 1000) * SCALE));
const SERIES = [1, 10, 100, 1000];
/** Requests in flight from the publisher, for Herald and the peer alike (as bench:pipeline). */
const IN_FLIGHT = 8;
const POOL = 5;
/** When the RSS at rest is read: V8's memory reducer shrinks a heap about 8 s after the last mark-compact of a quiet process. */
const REST_MS = 15_000;
const SENDER = 'Herald <herald@bench.example.com>';
const GATEWAY = 'https://console.example.com';
const ROOT = resolve(__dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', SCALE === 1 ? 'peers.json' : 'peers-quick.json');
const CHART = SCALE === 1 ? join(ROOT, 'docs', 'benchmarks-peers.svg') : join(ROOT, 'bench', 'results', 'peers-quick.svg');

type System = 'Herald' | 'peer' | 'bare';
const SYSTEMS: System[] = ['Herald', 'peer', 'bare'];
/** Repetition r puts system r first: each goes first once in three repetitions. */
const orderOf = (r: number): System[] => SYSTEMS.map((_, i) => SYSTEMS[(i + r) % SYSTEMS.length]);

/** The applications both databases hold: one per point of the series, and one for latency and warm-up. */
const appFor = (recipients: number) => `tp${recipients}`;
const APPLICATIONS: Record<string, number> = { lat: 1, ...Object.fromEntries(SERIES.map((n) => [appFor(n), n])) };

interface Throughput {
  rate: number;
  cpuMsPerMail: number;
}
interface Repetition {
  order: System[];
  startupMs: Partial<Record<System, number>>;
  idleRssMb: { Herald: number; peer: number; redis: number };
  /** RSS once at rest, REST_MS after the later of the two started (V8's memory reducer has run by then). */
  restRssMb: { Herald: number; peer: number; redis: number };
  peakRssMb: { Herald: number; peer: number; redis: number };
  latency: Record<System, { p50: number; p99: number }>;
  series: Record<string, Record<System, Throughput>>;
}

/** What runs during one repetition. */
interface Contenders {
  herald: HeraldProcess;
  peer: PeerProcess;
  redis: RedisServer;
  sink: SinkClient;
}

async function postEvent(peer: PeerProcess, e: JobEvent): Promise<void> {
  const res = await fetch(`${peer.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_TOKEN}` },
    body: JSON.stringify(e),
  });
  if (res.status !== 202) throw new Error(`peer answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

const heraldEnv = (sink: SinkClient) => ({
  HERALD_SECRET_KEY: 'b'.repeat(64),
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(sink.port),
  SMTP_SECURITY: 'NONE',
  SMTP_AUTH: 'false',
  SMTP_SENDER: SENDER,
  SMTP_POOL_SIZE: String(POOL),
  GATEWAY_URI: GATEWAY,
});

/** Starts Herald on a database already seeded (a restart, as on every deploy), so its start-up does not include creating the schema. */
async function startHerald(sink: SinkClient, env = heraldEnv(sink)): Promise<HeraldProcess> {
  const first = await HeraldProcess.start(env);
  for (const [app, managers] of Object.entries(APPLICATIONS)) await seedManagers(first, app, managers);
  await first.stop({ keepData: true });
  return HeraldProcess.start(env, await freePort(), first.dataDir);
}

async function startPeer(sink: SinkClient, redis: RedisServer, dir: string, options: { quiet?: boolean } = {}): Promise<PeerProcess> {
  const databasePath = join(dir, 'peer.sqlite');
  await createPeerDatabase(databasePath, APPLICATIONS);
  const env = { PORT: await freePort(), REDIS_PORT: redis.port, SMTP_PORT: sink.port, DATABASE_PATH: databasePath, JWT_SECRET: BENCH_JWT_SECRET, SMTP_POOL_SIZE: POOL };
  return PeerProcess.start(env, options);
}

/**
 * Publish → the sink's 250 for that mail, one event at a time; the bare loop: sendMail →
 * the 250. The systems take turns, one event each, so that whatever else the machine
 * is doing at a moment falls on all of them alike rather than on whoever ran then.
 */
async function latencies(order: System[], c: Contenders, count: number): Promise<Record<System, { p50: number; p99: number }>> {
  const transport = createTransport({ host: '127.0.0.1', port: c.sink.port, secure: false, ignoreTLS: true, pool: true, maxConnections: POOL });
  const [mail] = preparedMails([jobEvent('lat')], 1);
  const send = async (system: System) => {
    if (system === 'Herald') await publish(c.herald.url, jobEvent('lat'));
    else if (system === 'peer') await postEvent(c.peer, jobEvent('lat'));
    else await transport.sendMail(mail);
  };
  try {
    const samples = Object.fromEntries(order.map((system) => [system, [] as number[]])) as Record<System, number[]>;
    for (let i = 0; i < count + 20; i++) {
      for (const system of order) {
        const before = await c.sink.count();
        const start = performance.timeOrigin + performance.now();
        await send(system);
        await c.sink.waitFor(before + 1);
        const [accepted] = await c.sink.acceptedSince(before);
        if (i >= 20) samples[system].push(accepted.at - start); // the first 20 warm up
      }
    }
    return Object.fromEntries(
      order.map((system) => {
        const sorted = samples[system].sort((a, b) => a - b);
        return [system, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
      }),
    ) as Record<System, { p50: number; p99: number }>;
  } finally {
    transport.close();
  }
}

/** From the first event published to the sink's last 250: rate and CPU per mail (the peer's CPU includes Redis's). */
async function throughput(system: System, c: Contenders, recipients: number): Promise<Throughput> {
  const events = Array.from({ length: Math.max(1, Math.round(MAILS / recipients)) }, () => jobEvent(appFor(recipients)));
  const mails = events.length * recipients;
  await c.sink.reset();
  if (system === 'bare') return bareNodemailerLoop(c.sink.port, preparedMails(events, recipients), POOL);
  const cpu = () => (system === 'Herald' ? c.herald.cpuMs() : c.peer.cpuMs() + cpuMs(c.redis.child.pid!));
  const cpuBefore = cpu();
  const started = performance.now();
  await eachInFlight(events, IN_FLIGHT, (e) => (system === 'Herald' ? publish(c.herald.url, e) : postEvent(c.peer, e)));
  await c.sink.waitFor(mails);
  const seconds = (performance.now() - started) / 1000;
  return { rate: mails / seconds, cpuMsPerMail: (cpu() - cpuBefore) / mails };
}

async function repetition(r: number, sink: SinkClient, redis: RedisServer): Promise<Repetition> {
  const order = orderOf(r);
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-peer-'));
  const started: Partial<Contenders> = { sink, redis };
  try {
    for (const system of order) {
      if (system === 'Herald') started.herald = await startHerald(sink);
      if (system === 'peer') started.peer = await startPeer(sink, redis, dir);
    }
    const c = started as Contenders;
    const rss = () => ({ Herald: rssMb(c.herald.child.pid!), peer: rssMb(c.peer.child.pid!), redis: rssMb(redis.child.pid!) });
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work (timers, lazy compilation) settle
    const idleRssMb = rss();
    await new Promise((r) => setTimeout(r, REST_MS - 2000));
    const restRssMb = rss();
    const rep: Repetition = {
      order,
      startupMs: { Herald: c.herald.startupMs, peer: c.peer.startupMs },
      idleRssMb,
      restRssMb,
      peakRssMb: idleRssMb,
      latency: {} as Repetition['latency'],
      series: {},
    };
    rep.latency = await latencies(order, c, LATENCY_EVENTS);
    for (const recipients of SERIES) {
      rep.series[recipients] = {} as Record<System, Throughput>;
      for (const system of order) {
        rep.series[recipients][system] = await throughput(system, c, recipients);
        console.error(`repetition ${r + 1}, ${recipients} recipients per event, ${system}: ${Math.round(rep.series[recipients][system].rate)} msg/s`);
      }
    }
    rep.peakRssMb = { Herald: peakRssMb(c.herald.child.pid!), peer: peakRssMb(c.peer.child.pid!), redis: peakRssMb(redis.child.pid!) };
    return rep;
  } finally {
    await started.herald?.stop();
    await started.peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the sink has taken no mail for `quietMs` (at most two minutes); returns the recipients mailed, and how many mails came twice. */
async function settled(sink: SinkClient, quietMs: number): Promise<{ mailed: number; twice: number }> {
  let last = -1;
  let quietSince = performance.now();
  const deadline = performance.now() + 120_000;
  while (performance.now() - quietSince < quietMs && performance.now() < deadline) {
    const now = await sink.count();
    if (now !== last) (last = now), (quietSince = performance.now());
    await new Promise((r) => setTimeout(r, 200));
  }
  const accepted = await sink.acceptedSince(0);
  const mailed = new Set(accepted.map((a) => a.to)).size;
  return { mailed, twice: accepted.length - mailed };
}

/**
 * What each loses when its store restarts in the middle of sending an event to
 * 1,000 people, once its publisher has been answered. The peer: its Redis (no
 * persistence, as run here) is restarted — the jobs still queued are gone, and
 * nothing records that they were. Herald: its store is in its own process on
 * SQLite, so the process is killed (SIGKILL) and started again on its data.
 * Deliveries it had claimed are taken up again when their lease runs out:
 * DISPATCH_LEASE_MS is 5 s here instead of 120 s, to keep the run short.
 * (On PostgreSQL the same holds for a PostgreSQL restart: nothing committed is
 * lost. The shared PostgreSQL is not restarted here.) The peer's worker logs an
 * error for each job it had in hand when Redis came back empty; its stderr is
 * silenced here.
 */
async function storeRestart(sink: SinkClient, redis: RedisServer) {
  const recipients = 1000;
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-peer-'));
  const results: Record<string, string | number>[] = [];
  const peer = await startPeer(sink, redis, dir, { quiet: true });
  try {
    await sink.reset();
    await postEvent(peer, jobEvent(appFor(recipients)));
    await sink.waitFor(100);
    await redis.restart();
    results.push({ system: 'peer stack', restarted: 'Redis (no persistence)', ...(await settled(sink, 5000)) });
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const leased = { ...heraldEnv(sink), DISPATCH_LEASE_MS: '5000' };
  let herald = await startHerald(sink, leased);
  try {
    await sink.reset();
    await publish(herald.url, jobEvent(appFor(recipients)));
    await sink.waitFor(100);
    await herald.kill();
    herald = await HeraldProcess.start(leased, await freePort(), herald.dataDir);
    results.push({ system: 'Herald', restarted: 'Herald with its SQLite (SIGKILL)', ...(await settled(sink, 10_000)) });
  } finally {
    await herald.stop();
  }
  return results.map((r) => ({ ...r, 'of recipients': recipients, lost: recipients - Number(r.mailed) }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const f = (n: number, digits = 0) => n.toFixed(digits);

/** The figures of the run: medians over repetitions (ratios: the median of each repetition's ratio). */
function summarize(reps: Repetition[]) {
  const over = (pick: (rep: Repetition) => number) => median(reps.map(pick));
  const series = SERIES.map((recipients) => {
    const at = (s: System) => (rep: Repetition) => rep.series[recipients][s];
    return {
      recipients,
      rate: Object.fromEntries(SYSTEMS.map((s) => [s, over((rep) => at(s)(rep).rate)])) as Record<System, number>,
      cpuMsPerMail: Object.fromEntries(SYSTEMS.map((s) => [s, over((rep) => at(s)(rep).cpuMsPerMail)])) as Record<System, number>,
      heraldToPeer: over((rep) => at('Herald')(rep).rate / at('peer')(rep).rate),
      heraldToBare: over((rep) => at('Herald')(rep).rate / at('bare')(rep).rate),
    };
  });
  return {
    series,
    latency: Object.fromEntries(SYSTEMS.map((s) => [s, { p50: over((rep) => rep.latency[s].p50), p99: over((rep) => rep.latency[s].p99) }])) as Record<System, { p50: number; p99: number }>,
    startupMs: { Herald: over((rep) => rep.startupMs.Herald!), peer: over((rep) => rep.startupMs.peer!) },
    idleRssMb: { Herald: over((rep) => rep.idleRssMb.Herald), peer: over((rep) => rep.idleRssMb.peer), redis: over((rep) => rep.idleRssMb.redis) },
    // Results of runs before the RSS at rest was read have none.
    restRssMb: reps.every((rep) => rep.restRssMb)
      ? { Herald: over((rep) => rep.restRssMb.Herald), peer: over((rep) => rep.restRssMb.peer), redis: over((rep) => rep.restRssMb.redis) }
      : undefined,
    peakRssMb: { Herald: over((rep) => rep.peakRssMb.Herald), peer: over((rep) => rep.peakRssMb.peer), redis: over((rep) => rep.peakRssMb.redis) },
  };
}

function report(summary: ReturnType<typeof summarize>): string {
  const at = (n: number) => summary.series.find((s) => s.recipients === n)!;
  const { latency: l, idleRssMb: idle, restRssMb: rest, startupMs: up } = summary;
  const scenarios = [
    { scenario: '100 recipients per event, msg/s', Herald: f(at(100).rate.Herald), 'peer stack': f(at(100).rate.peer), 'bare nodemailer': f(at(100).rate.bare), 'Herald / peer': f(at(100).heraldToPeer, 2), 'Herald / bare': f(at(100).heraldToBare, 2) },
    { scenario: '1 recipient per event, one event per request, msg/s', Herald: f(at(1).rate.Herald), 'peer stack': f(at(1).rate.peer), 'bare nodemailer': f(at(1).rate.bare), 'Herald / peer': f(at(1).heraldToPeer, 2), 'Herald / bare': f(at(1).heraldToBare, 2) },
    { scenario: 'latency at low load, p50 / p99 ms', Herald: `${f(l.Herald.p50, 1)} / ${f(l.Herald.p99, 1)}`, 'peer stack': `${f(l.peer.p50, 1)} / ${f(l.peer.p99, 1)}`, 'bare nodemailer': `${f(l.bare.p50, 1)} / ${f(l.bare.p99, 1)}`, 'Herald / peer': '', 'Herald / bare': '' },
    { scenario: 'idle RSS MB, 2 s after start-up', Herald: f(idle.Herald), 'peer stack': `${idle.peer} (+ Redis ${idle.redis})`, 'bare nodemailer': '', 'Herald / peer': '', 'Herald / bare': '' },
    ...(rest
      ? [{ scenario: `idle RSS MB, at rest (${REST_MS / 1000} s)`, Herald: f(rest.Herald), 'peer stack': `${rest.peer} (+ Redis ${rest.redis})`, 'bare nodemailer': '', 'Herald / peer': '', 'Herald / bare': '' }]
      : []),
    { scenario: 'start-up s', Herald: f(up.Herald / 1000, 2), 'peer stack': f(up.peer / 1000, 2), 'bare nodemailer': '', 'Herald / peer': '', 'Herald / bare': '' },
  ];
  const series = summary.series.map((s) => ({
    'recipients per event': s.recipients,
    'Herald msg/s': f(s.rate.Herald),
    'peer msg/s': f(s.rate.peer),
    'bare msg/s': f(s.rate.bare),
    'Herald / peer': f(s.heraldToPeer, 2),
    'Herald / bare': f(s.heraldToBare, 2),
    'Herald CPU ms/mail': f(s.cpuMsPerMail.Herald, 2),
    'peer CPU ms/mail (Node + Redis)': f(s.cpuMsPerMail.peer, 2),
    'bare CPU ms/mail': f(s.cpuMsPerMail.bare, 2),
  }));
  const peak = summary.peakRssMb;
  return [
    table(scenarios),
    '',
    `Series (${MAILS} mails per system and point):`,
    '',
    table(series),
    '',
    `Peak RSS over the run: Herald ${peak.Herald} MB, peer ${peak.peer} MB + Redis ${peak.redis} MB.`,
  ].join('\n');
}

async function main() {
  const sink = await SinkClient.start();
  const redis = await RedisServer.start();
  const reps: Repetition[] = [];
  let restart: Awaited<ReturnType<typeof storeRestart>> = [];
  try {
    for (let r = 0; r < REPETITIONS; r++) reps.push(await repetition(r, sink, redis));
    if (process.env.BENCH_PEER_RESTART !== '0') restart = await storeRestart(sink, redis);
  } finally {
    await redis.stop();
    sink.stop();
  }
  const restartTable = restart.length ? `When the store restarts while an event to 1,000 people is being sent:\n\n${table(restart)}\n` : '';
  if (!reps.length) return console.log(`\n${restartTable}`); // BENCH_PEER_REPETITIONS=0: the restart scenario alone
  const summary = summarize(reps);
  const results = { recordedAt: new Date().toISOString(), machine: machine(), scale: SCALE, mailsPerPoint: MAILS, latencyEvents: LATENCY_EVENTS, repetitions: reps, summary, restart };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  writeChart(RESULTS, CHART);
  console.log(`\nHerald against the peer stack — ${machine()}, ${REPETITIONS} repetitions, medians\n\n${report(summary)}\n\n${restartTable}\nResults: ${RESULTS}\nChart: ${CHART}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
