/**
 * Herald against the stack a NestJS team would otherwise build (bench/peers/stack:
 * an HTTP endpoint, @nestjs/bullmq on Redis with one job per recipient, a worker
 * of concurrency 20, a nodemailer pool of 5, recipients from a TypeORM table on
 * SQLite), against the bare nodemailer loop, and against the protocol's limit on
 * this machine (Postfix's smtp-source → smtp-sink, both in C, with Herald's own
 * message, the same 5 connections and one recipient per message) — in one run, with
 * the same events to the same counting SMTP sink (its own process); and Herald once
 * more into smtp-sink, the limit's own receiver. Each repetition starts Herald and
 * the peer afresh and rotates which system goes first in every scenario (with 7
 * systems and 7 repetitions each goes first once). Figures are
 * medians over the repetitions; ratios are the median of each repetition's own
 * ratio. Every table is printed with the machine's load average during the run.
 *
 *   npm run bench:peer                      ≈ 12–15 min on a quiet 2-core machine (an estimate, not yet timed)
 *   BENCH_PEER_SCALE=0.1                    a quick run: every count × 0.1 (results go to bench/results/peers-quick.*)
 *   BENCH_PEER_REPETITIONS=7                repetitions (make it a multiple of the systems for each to go first equally often)
 *   BENCH_PEER_FLAGS=herald|default|both    the peer's Node flags: Herald's `serve` flags (the default), Node's
 *                                           defaults, or both (two peers, each with its own Redis, both reported)
 *   BENCH_PEER_MAILS=6000                   mails per throughput measurement (per system, per point of the series)
 *   BENCH_PEER_LIMIT_MAILS=24000            mails per smtp-source measurement (it is ~10× faster: 6,000 would last 0.2 s)
 *   BENCH_PEER_LATENCY_EVENTS=1000          one-recipient events sent one at a time, per system (the systems take turns)
 *   BENCH_PEER_SERIES=1,10,100,1000         the recipients per event measured (another list, e.g. 100 alone for a
 *                                           target of that point: results go to bench/results/peers-quick.*)
 *   BENCH_PEER_RESTART=0                    skips the store-restart scenario (run once, after the repetitions;
 *                                           BENCH_PEER_REPETITIONS=0 runs it alone)
 *   BENCH_PEER_NODE_OPTIONS=…               NODE_OPTIONS for the peer's Node (e.g. --cpu-prof); BENCH_HERALD_NODE_OPTIONS for Herald's
 *   BENCH_HERALD_SCRIPT=…/dist/herald.cjs   another Herald build (with its own tree's `serve` flags)
 *   BENCH_HERALD_INGRESS=http               how the headline Herald takes events: http (POST /events, like the peer;
 *                                           the default), also measured over GraphQL as "Herald, GraphQL"; or graphql alone
 *   BENCH_INSTALL_POSTFIX=1                 installs Debian's postfix (for smtp-source and smtp-sink) if missing
 *   BENCH_PEER_LIMIT=0                      leaves smtp-source out
 *   BENCH_PEER_CONNECTIONS=5                SMTP connections of every sender (pools, smtp-source's sessions)
 *
 * Needs Debian's redis-server (apt-get install -y redis-server); starts its own on a free port.
 * Uses Postfix's smtp-source and smtp-sink if installed (apt-get install -y postfix), else says so and skips them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import type { JobEvent } from '@herald/contracts';
import { writeChart } from './chart';
import { createPeerDatabase } from './peers/peer-database';
import { PeerProcess } from './peers/peer-process';
import { freePort, RedisServer } from './peers/redis-server';
import { bareNodemailerLoop, preparedMails } from './support/bare-nodemailer';
import { tempDir } from './support/children';
import { type HeraldIngress, INGRESS_LABEL, parseIngress, publish, SERVICE_TOKEN, seedManagers } from './support/herald-api';
import { BENCH_JWT_SECRET, commandLine, heraldCommand, HeraldProcess } from './support/herald-process';
import { eachInFlight, jobEvent } from './support/job-events';
import { LoadMonitor, loadLine, loadNow, type LoadSummary } from './support/load';
import { PostfixSink, type PostfixTools, postfixTools, runSmtpSource, writeMessageFile } from './support/postfix';
import { cpuMs, peakRssMb, rssMb } from './support/process-stats';
import { machine, median, percentile, table } from './support/report';
import { SinkClient } from './support/sink-client';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SCALE = env('BENCH_PEER_SCALE', 1);
const REPETITIONS = env('BENCH_PEER_REPETITIONS', 7);
const MAILS = Math.max(100, Math.round(env('BENCH_PEER_MAILS', 6000) * SCALE));
const LIMIT_MAILS = Math.max(400, Math.round(env('BENCH_PEER_LIMIT_MAILS', 24_000) * SCALE));
const LATENCY_EVENTS = Math.max(20, Math.round(env('BENCH_PEER_LATENCY_EVENTS', 1000) * SCALE));
const PEER_FLAGS = process.env.BENCH_PEER_FLAGS ?? 'herald';
if (!['herald', 'default', 'both'].includes(PEER_FLAGS)) throw new Error(`BENCH_PEER_FLAGS must be herald, default or both, not ${PEER_FLAGS}`);
const FULL_SERIES = [1, 10, 100, 1000];
const SERIES = (process.env.BENCH_PEER_SERIES ?? FULL_SERIES.join(',')).split(',').map(Number);
if (!SERIES.length || SERIES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_PEER_SERIES must be recipients per event, e.g. 1,100, not ${process.env.BENCH_PEER_SERIES}`);
/** The points of the headline (1 and 100 recipients), those measured. */
const HEADLINE = [1, 100].filter((n) => SERIES.includes(n));
/** A full run writes the results and chart of record; a partial one (scaled, or other points) writes beside them. */
const FULL_RUN = SCALE === 1 && SERIES.join(',') === FULL_SERIES.join(',');
/** Requests in flight from the publisher, for Herald and the peer alike (as bench:pipeline). */
const IN_FLIGHT = 8;
/** SMTP connections of every sender (Herald's pool, the peer's, the bare loop's, smtp-source's sessions). */
const POOL = env('BENCH_PEER_CONNECTIONS', 5);
/** When the RSS at rest is read: V8's memory reducer shrinks a heap about 8 s after the last mark-compact of a quiet process. */
const REST_MS = 15_000;
const SENDER = 'Herald <herald@bench.example.com>';
const GATEWAY = 'https://console.example.com';
const ROOT = resolve(__dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', FULL_RUN ? 'peers.json' : 'peers-quick.json');
const CHART = FULL_RUN ? join(ROOT, 'docs', 'benchmarks-peers.svg') : join(ROOT, 'bench', 'results', 'peers-quick.svg');

/** How Herald runs (the `serve` script), and so the flags the peer gets by default. */
const HERALD = heraldCommand();
/** How the headline Herald takes events: POST /events, as the peer does, unless BENCH_HERALD_INGRESS=graphql. */
const INGRESS = parseIngress(process.env.BENCH_HERALD_INGRESS ?? 'http');

/**
 * The systems: Herald over INGRESS, and (when that is POST /events) the same Herald
 * process over GraphQL (`HeraldGraphql`); the peer stack with Herald's `serve` flags (`peer`; with
 * BENCH_PEER_FLAGS=default, Node's defaults) and, with BENCH_PEER_FLAGS=both, again on
 * Node's defaults (`peerDefault`); the bare nodemailer loop; smtp-source → smtp-sink
 * (`limit`); smtp-source → the counting sink the others send to (`sourceToSink`:
 * how much that sink itself takes, the ceiling for every sender measured on it); and
 * a second Herald process relaying to smtp-sink (`HeraldIntoSmtpSink`: Herald against
 * the limit on the same receiver, which costs less CPU than the counting sink).
 */
type System = 'Herald' | 'HeraldGraphql' | 'peer' | 'peerDefault' | 'bare' | 'limit' | 'sourceToSink' | 'HeraldIntoSmtpSink';
type PeerSystem = 'peer' | 'peerDefault';
const isPeer = (s: System): s is PeerSystem => s === 'peer' || s === 'peerDefault';
const isSmtpSource = (s: System) => s === 'limit' || s === 'sourceToSink';
const isHerald = (s: System) => s === 'Herald' || s === 'HeraldGraphql';
/** Latency is measured on the counting sink, which times each 250: not for smtp-source, nor for the Herald relaying to smtp-sink. */
const hasLatency = (s: System) => !isSmtpSource(s) && s !== 'HeraldIntoSmtpSink';
const INGRESS_OF: Partial<Record<System, HeraldIngress>> = { Herald: INGRESS, HeraldGraphql: 'graphql', HeraldIntoSmtpSink: INGRESS };
const PEER_NODE_FLAGS: Record<PeerSystem, string[]> = { peer: PEER_FLAGS === 'default' ? [] : HERALD.flags, peerDefault: [] };
const LABEL: Record<System, string> = {
  Herald: INGRESS === 'http' ? 'Herald, POST /events' : 'Herald, GraphQL',
  HeraldGraphql: 'Herald, GraphQL',
  peer: PEER_FLAGS === 'default' ? 'peer stack, Node defaults' : "peer stack, Herald's flags",
  peerDefault: 'peer stack, Node defaults',
  bare: 'bare nodemailer',
  limit: 'smtp-source → smtp-sink',
  sourceToSink: 'smtp-source → bench sink',
  HeraldIntoSmtpSink: 'Herald → smtp-sink',
};
/** Whose CPU each system's CPU column counts (the sink's is its own column). */
const CPU_OF: Record<System, string> = {
  Herald: "Herald's process",
  HeraldGraphql: "Herald's process",
  peer: 'its Node + its Redis',
  peerDefault: 'its Node + its Redis',
  bare: "the loop's process",
  limit: 'smtp-source',
  sourceToSink: 'smtp-source',
  HeraldIntoSmtpSink: "Herald's process",
};

/** Repetition r puts system r (mod their number) first. */
const orderOf = (systems: System[], r: number): System[] => systems.map((_, i) => systems[(i + r) % systems.length]);

/** The applications both databases hold: one per point of the series, and one for latency and warm-up. */
const appFor = (recipients: number) => `tp${recipients}`;
const APPLICATIONS: Record<string, number> = { lat: 1, ...Object.fromEntries(FULL_SERIES.map((n) => [appFor(n), n])) };

interface Throughput {
  rate: number;
  /** CPU of the sending side (CPU_OF), ms per mail. */
  cpuMsPerMail: number;
  /** CPU of the receiving sink (the counting sink, or smtp-sink for `limit`), ms per mail. */
  sinkCpuMsPerMail: number;
}
/** RSS of Herald and of each peer and its Redis (`redis` is peer's, `redisDefault` peerDefault's). */
type Rss = Record<string, number>;
interface Repetition {
  order: System[];
  /** The machine's load during this repetition's measured parts. */
  load: LoadSummary;
  startupMs: Partial<Record<System, number>>;
  idleRssMb: Rss;
  /** RSS once at rest, REST_MS after the last of them started (V8's memory reducer has run by then). */
  restRssMb: Rss;
  peakRssMb: Rss;
  latency: Partial<Record<System, { p50: number; p99: number }>>;
  series: Record<string, Partial<Record<System, Throughput>>>;
}

/** What the whole run shares. */
interface Run {
  systems: System[];
  peers: PeerSystem[];
  load: LoadMonitor;
  sink: SinkClient;
  redis: Partial<Record<PeerSystem, RedisServer>>;
  /** smtp-sink as `limit`'s receiver, and `counting` (with -c) as the receiver of HeraldIntoSmtpSink. */
  postfix?: { tools: PostfixTools; sink: PostfixSink; counting: PostfixSink };
  /** Herald's own mail, as the sink received it, in the file smtp-source sends (made in the first repetition). */
  message?: { file: string; heraldBytes: number; sentBytes: number };
  dir: string;
}

/** What runs during one repetition. */
interface Contenders {
  herald: HeraldProcess;
  /** The same build relaying to smtp-sink (HeraldIntoSmtpSink), when measured. */
  heraldIntoSmtpSink?: HeraldProcess;
  peers: Partial<Record<PeerSystem, PeerProcess>>;
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

const heraldEnv = (sink: { port: number }) => ({
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
async function startHerald(sink: { port: number }, env = heraldEnv(sink)): Promise<HeraldProcess> {
  const first = await HeraldProcess.start(env);
  for (const [app, managers] of Object.entries(APPLICATIONS)) await seedManagers(first, app, managers);
  await first.stop({ keepData: true });
  return HeraldProcess.start(env, await freePort(), first.dataDir);
}

async function startPeer(system: PeerSystem, sink: SinkClient, redis: RedisServer, dir: string, options: { quiet?: boolean } = {}): Promise<PeerProcess> {
  const databasePath = join(dir, `${system}.sqlite`);
  await createPeerDatabase(databasePath, APPLICATIONS);
  const env = { PORT: await freePort(), REDIS_PORT: redis.port, SMTP_PORT: sink.port, DATABASE_PATH: databasePath, JWT_SECRET: BENCH_JWT_SECRET, SMTP_POOL_SIZE: POOL };
  return PeerProcess.start(env, { ...options, nodeFlags: PEER_NODE_FLAGS[system] });
}

/**
 * The message smtp-source sends: one of Herald's own one-recipient mails as the sink
 * received it (its size is what counts: the limit is measured at Herald's message size).
 * Then one copy through smtp-source into the same sink, to check that what arrives is
 * as long as Herald's mail.
 */
async function prepareMessage(run: Run, herald: HeraldProcess): Promise<NonNullable<Run['message']>> {
  const captureOne = async (send: () => Promise<unknown>) => {
    await run.sink.capture();
    const before = await run.sink.count();
    await send();
    await run.sink.waitFor(before + 1, 60_000);
    const raw = await run.sink.captured();
    if (raw === undefined) throw new Error('the sink kept no message');
    return raw;
  };
  const raw = await captureOne(() => publish(herald.url, jobEvent('lat'), INGRESS));
  const file = join(run.dir, 'herald-mail.eml');
  writeMessageFile(file, raw);
  const sent = await captureOne(() => runSmtpSource(run.postfix!.tools, { port: run.sink.port, messageFile: file, messages: 1, sessions: 1, timeoutMs: 30_000 }));
  // smtp-source ends every message with an empty line: 2 bytes more than Herald's.
  if (Math.abs(sent.length - raw.length) > 2) console.error(`bench: smtp-source sends ${sent.length} bytes where Herald's mail has ${raw.length}`);
  return { file, heraldBytes: raw.length, sentBytes: sent.length };
}

/**
 * Publish → the sink's 250 for that mail, one event at a time; the bare loop: sendMail →
 * the 250. The systems take turns, one event each, so that whatever else the machine
 * is doing at a moment falls on all of them alike rather than on whoever ran then.
 */
async function latencies(order: System[], run: Run, c: Contenders, count: number): Promise<Repetition['latency']> {
  const sink = run.sink;
  const transport = createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool: true, maxConnections: POOL });
  const [mail] = preparedMails([jobEvent('lat')], 1);
  const send = async (system: System) => {
    if (isHerald(system)) await publish(c.herald.url, jobEvent('lat'), INGRESS_OF[system]);
    else if (isPeer(system)) await postEvent(c.peers[system]!, jobEvent('lat'));
    else await transport.sendMail(mail);
  };
  const systems = order.filter(hasLatency); // smtp-source measures throughput only
  try {
    const samples = Object.fromEntries(systems.map((system) => [system, [] as number[]])) as Record<System, number[]>;
    for (let i = 0; i < count + 20; i++) {
      for (const system of systems) {
        const before = await sink.count();
        const start = performance.timeOrigin + performance.now();
        await send(system);
        await sink.waitFor(before + 1);
        const [accepted] = await sink.acceptedSince(before);
        if (i >= 20) samples[system].push(accepted.at - start); // the first 20 warm up
      }
    }
    return Object.fromEntries(
      systems.map((system) => {
        const sorted = samples[system].sort((a, b) => a - b);
        return [system, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
      }),
    );
  } finally {
    transport.close();
  }
}

/**
 * One throughput measurement. Herald and the peer: from the first event published to the
 * sink's last 250 (the peer's CPU includes its Redis's). The bare loop: its own sending.
 * smtp-source: from its start to its exit, LIMIT_MAILS copies of Herald's mail over POOL
 * connections, one recipient each, into smtp-sink (`limit`) or the counting sink.
 * HeraldIntoSmtpSink: as Herald, to the last message the counting smtp-sink took.
 */
async function throughput(system: System, run: Run, c: Contenders, recipients: number): Promise<Throughput> {
  const events = Array.from({ length: Math.max(1, Math.round(MAILS / recipients)) }, () => jobEvent(appFor(recipients)));
  const sink = run.sink;
  await sink.reset();
  const sinkCpu = () => (system === 'limit' ? run.postfix!.sink.cpuMs() : system === 'HeraldIntoSmtpSink' ? run.postfix!.counting.cpuMs() : sink.cpuMs());
  const sinkBefore = sinkCpu();
  let mails = events.length * recipients;
  let sent: { rate: number; cpuMsPerMail: number };
  if (system === 'bare') {
    sent = await bareNodemailerLoop(sink.port, preparedMails(events, recipients), POOL);
  } else if (isSmtpSource(system)) {
    mails = LIMIT_MAILS;
    const port = system === 'limit' ? run.postfix!.sink.port : sink.port;
    const { seconds, cpuMs: used } = await runSmtpSource(run.postfix!.tools, { port, messageFile: run.message!.file, messages: mails, sessions: POOL, recipients: 1, timeoutMs: 600_000 });
    if (system === 'sourceToSink') await sink.waitFor(mails, 10_000);
    sent = { rate: mails / seconds, cpuMsPerMail: used / mails };
  } else {
    const peer = isPeer(system) ? c.peers[system]! : undefined;
    const redis = isPeer(system) ? run.redis[system]! : undefined;
    const herald = system === 'HeraldIntoSmtpSink' ? c.heraldIntoSmtpSink! : c.herald;
    const cpu = () => (peer ? peer.cpuMs() + cpuMs(redis!.child.pid!) : herald.cpuMs());
    const receiver = system === 'HeraldIntoSmtpSink' ? run.postfix!.counting : sink;
    const until = (receiver instanceof PostfixSink ? receiver.count() : 0) + mails; // the counting sink was reset above
    const cpuBefore = cpu();
    const started = performance.now();
    await eachInFlight(events, IN_FLIGHT, (e) => (peer ? postEvent(peer, e) : publish(herald.url, e, INGRESS_OF[system])));
    await receiver.waitFor(until);
    const seconds = (performance.now() - started) / 1000;
    sent = { rate: mails / seconds, cpuMsPerMail: (cpu() - cpuBefore) / mails };
  }
  return { ...sent, sinkCpuMsPerMail: (sinkCpu() - sinkBefore) / mails };
}

/** As many one-recipient events as the latency scenario gave the other Herald, so that both are as warm when measured. */
async function warmUp(herald: HeraldProcess, receiver: PostfixSink): Promise<void> {
  const until = receiver.count() + LATENCY_EVENTS + 20;
  await eachInFlight(Array.from({ length: LATENCY_EVENTS + 20 }, () => jobEvent('lat')), IN_FLIGHT, (e) => publish(herald.url, e, INGRESS));
  await receiver.waitFor(until);
}

async function repetition(r: number, run: Run): Promise<Repetition> {
  const order = orderOf(run.systems, r);
  const fromSample = run.load.samples.length;
  const loadAtStart = loadNow();
  const dir = tempDir('herald-bench-peer-');
  const c: Partial<Contenders> & { peers: Contenders['peers'] } = { peers: {} };
  try {
    for (const system of order) {
      if (system === 'Herald') c.herald = await run.load.during(() => startHerald(run.sink));
      if (system === 'HeraldIntoSmtpSink') c.heraldIntoSmtpSink = await run.load.during(() => startHerald(run.postfix!.counting));
      if (isPeer(system)) c.peers[system] = await run.load.during(() => startPeer(system, run.sink, run.redis[system]!, dir));
    }
    const all = c as Contenders;
    const rss = (read: (pid: number) => number): Rss => {
      const out: Rss = { Herald: read(all.herald.child.pid!) };
      for (const p of run.peers) {
        out[p] = read(all.peers[p]!.child.pid!);
        out[p === 'peer' ? 'redis' : 'redisDefault'] = read(run.redis[p]!.child.pid!);
      }
      return out;
    };
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work (timers, lazy compilation) settle
    const idleRssMb = rss(rssMb);
    await new Promise((r) => setTimeout(r, REST_MS - 2000));
    const restRssMb = rss(rssMb);
    if (run.postfix && !run.message) run.message = await prepareMessage(run, all.herald);
    const rep: Repetition = {
      order,
      load: run.load.summary(),
      startupMs: Object.fromEntries([['Herald', all.herald.startupMs], ...run.peers.map((p) => [p, all.peers[p]!.startupMs])]),
      idleRssMb,
      restRssMb,
      peakRssMb: idleRssMb,
      latency: {},
      series: {},
    };
    rep.latency = await run.load.during(() => latencies(order, run, all, LATENCY_EVENTS));
    if (all.heraldIntoSmtpSink) await warmUp(all.heraldIntoSmtpSink, run.postfix!.counting);
    for (const recipients of SERIES) {
      rep.series[recipients] = {};
      for (const system of order) {
        const t = await run.load.during(() => throughput(system, run, all, recipients));
        rep.series[recipients][system] = t;
        console.error(`repetition ${r + 1}, ${recipients} recipients per event, ${LABEL[system]}: ${Math.round(t.rate)} msg/s, ${t.cpuMsPerMail.toFixed(2)} CPU ms/mail`);
      }
    }
    rep.peakRssMb = rss(peakRssMb);
    rep.load = run.load.summary(fromSample, loadAtStart);
    return rep;
  } finally {
    await c.herald?.stop();
    await c.heraldIntoSmtpSink?.stop();
    for (const p of Object.values(c.peers)) await p.stop();
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
  const dir = tempDir('herald-bench-peer-');
  const results: Record<string, string | number>[] = [];
  const peer = await startPeer('peer', sink, redis, dir, { quiet: true });
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
    await publish(herald.url, jobEvent(appFor(recipients)), INGRESS);
    await sink.waitFor(100);
    await herald.kill();
    herald = await HeraldProcess.start(leased, await freePort(), herald.dataDir);
    results.push({ system: 'Herald', restarted: 'Herald with its SQLite (SIGKILL)', ...(await settled(sink, 10_000)) });
  } finally {
    await herald.stop();
  }
  return results.map((r) => ({ ...r, 'of recipients': recipients, lost: recipients - Number(r.mailed) }));
}

const f = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(digits));
const pct = (n: number | undefined) => (n === undefined ? '' : `${(n * 100).toFixed(0)} %`);
const bySystem = <T>(systems: System[], value: (s: System) => T) => Object.fromEntries(systems.map((s) => [s, value(s)])) as Partial<Record<System, T>>;

/** The figures of the run: medians over repetitions (ratios: the median of each repetition's own ratio). */
function summarize(run: Run, reps: Repetition[]) {
  const over = (pick: (rep: Repetition) => number) => median(reps.map(pick));
  const { systems } = run;
  const series = SERIES.map((recipients) => {
    const at = (s: System) => (rep: Repetition) => rep.series[recipients][s]!;
    const ratio = (pick: (t: Throughput) => number, a: System, b: System) => over((rep) => pick(at(a)(rep)) / pick(at(b)(rep)));
    return {
      recipients,
      rate: bySystem(systems, (s) => over((rep) => at(s)(rep).rate)),
      cpuMsPerMail: bySystem(systems, (s) => over((rep) => at(s)(rep).cpuMsPerMail)),
      sinkCpuMsPerMail: bySystem(systems, (s) => over((rep) => at(s)(rep).sinkCpuMsPerMail)),
      /** Herald's msg/s ÷ each other system's, and Herald's CPU per mail ÷ its. */
      heraldTo: bySystem(systems.filter((s) => s !== 'Herald'), (s) => ({ rate: ratio((t) => t.rate, 'Herald', s), cpu: ratio((t) => t.cpuMsPerMail, 'Herald', s) })),
      /** Each system's msg/s as a fraction of smtp-source → smtp-sink's (the protocol's limit). */
      ofLimit: run.postfix ? bySystem(systems, (s) => ratio((t) => t.rate, s, 'limit')) : undefined,
      heraldToPeer: ratio((t) => t.rate, 'Herald', 'peer'),
      /** Herald over GraphQL against the peer, when measured: msg/s and CPU per mail. */
      graphqlToPeer: systems.includes('HeraldGraphql') ? { rate: ratio((t) => t.rate, 'HeraldGraphql', 'peer'), cpu: ratio((t) => t.cpuMsPerMail, 'HeraldGraphql', 'peer') } : undefined,
      heraldToBare: ratio((t) => t.rate, 'Herald', 'bare'),
    };
  });
  const rss = (key: 'idleRssMb' | 'restRssMb' | 'peakRssMb') => Object.fromEntries(Object.keys(reps[0][key]).map((k) => [k, over((rep) => rep[key][k])])) as Rss;
  return {
    systems,
    labels: bySystem(systems, (s) => LABEL[s]),
    load: run.load.summary(),
    series,
    latency: bySystem(systems.filter(hasLatency), (s) => ({ p50: over((rep) => rep.latency[s]!.p50), p99: over((rep) => rep.latency[s]!.p99) })),
    startupMs: bySystem(['Herald', ...run.peers], (s) => over((rep) => rep.startupMs[s]!)),
    idleRssMb: rss('idleRssMb'),
    restRssMb: rss('restRssMb'),
    peakRssMb: rss('peakRssMb'),
  };
}
type Summary = ReturnType<typeof summarize>;

/** What the run compared, and how: printed above the tables and kept in the results. */
function method(run: Run): string[] {
  const peerLine = (p: PeerSystem) => `${LABEL[p]}: node ${[...PEER_NODE_FLAGS[p], 'dist/bench/peers/stack/main.js'].join(' ')}`;
  const lines = [`${LABEL.Herald}: ${commandLine(HERALD)}; events as ${INGRESS_LABEL[INGRESS]}, one event per request${INGRESS === 'http' ? ' (as the peer takes them)' : ''}`];
  if (run.systems.includes('HeraldGraphql')) lines.push(`${LABEL.HeraldGraphql}: the same Herald process; events as ${INGRESS_LABEL.graphql}, one event per request`);
  lines.push(...run.peers.map(peerLine));
  if (run.postfix && run.message) {
    lines.push(
      `smtp-source → smtp-sink: Herald's own mail as the sink received it (${run.message.heraldBytes} bytes; smtp-source's copy arrives as ${run.message.sentBytes}: it adds an empty last line), ${POOL} connections kept open, 1 recipient per message, ${LIMIT_MAILS} messages a measurement.`,
      `${LABEL.HeraldIntoSmtpSink}: a second Herald process of the same build, relaying to a second smtp-sink (with -c, which counts the messages it takes), events as ${INGRESS_LABEL[INGRESS]}: Herald against the limit on the limit's own receiver.`,
    );
  } else if (!run.postfix) lines.push(`smtp-source → smtp-sink: skipped: ${postfixMissing ?? 'not installed'}`);
  if (REPETITIONS % run.systems.length !== 0) lines.push(`Note: ${REPETITIONS} repetitions for ${run.systems.length} systems: not every system goes first equally often (use a multiple of ${run.systems.length}).`);
  return lines;
}

function report(run: Run, summary: Summary, reps: Repetition[]): string {
  const at = (n: number) => summary.series.find((s) => s.recipients === n)!;
  const { systems } = run;
  const load = loadLine(summary.load);
  const headline = HEADLINE.flatMap((n) =>
    systems.map((system) => ({
      'recipients per event': n,
      system: LABEL[system],
      'msg/s': f(at(n).rate[system]),
      'CPU ms/mail': f(at(n).cpuMsPerMail[system], 3),
      'sink CPU ms/mail': f(at(n).sinkCpuMsPerMail[system], 3),
      'of smtp-source → smtp-sink, msg/s': pct(at(n).ofLimit?.[system]),
      'Herald ÷ it, msg/s': f(at(n).heraldTo[system]?.rate, 2),
      'Herald ÷ it, CPU/mail': f(at(n).heraldTo[system]?.cpu, 2),
    })),
  );
  const latencySystems = systems.filter(hasLatency);
  const { latency: l, idleRssMb: idle, restRssMb: rest, startupMs: up } = summary;
  const withRedis = (rss: Rss, p: PeerSystem) => `${rss[p]} (+ Redis ${rss[p === 'peer' ? 'redis' : 'redisDefault']})`;
  const others = [
    { figure: 'latency at low load, p50 / p99 ms', ...Object.fromEntries(latencySystems.map((s) => [LABEL[s], `${f(l[s]!.p50, 1)} / ${f(l[s]!.p99, 1)}`])) },
    { figure: 'idle RSS MB, 2 s after start-up', [LABEL.Herald]: f(idle.Herald), ...Object.fromEntries(run.peers.map((p) => [LABEL[p], withRedis(idle, p)])) },
    { figure: `RSS MB at rest (${REST_MS / 1000} s)`, [LABEL.Herald]: f(rest.Herald), ...Object.fromEntries(run.peers.map((p) => [LABEL[p], withRedis(rest, p)])) },
    { figure: 'start-up s', [LABEL.Herald]: f(up.Herald! / 1000, 2), ...Object.fromEntries(run.peers.map((p) => [LABEL[p], f(up[p]! / 1000, 2)])) },
  ].map((row) => Object.fromEntries(['figure', ...latencySystems.map((s) => LABEL[s])].map((k) => [k, (row as Record<string, string>)[k] ?? ''])));
  const rates = summary.series.map((s) => ({
    'recipients per event': s.recipients,
    ...Object.fromEntries(systems.map((sys) => [LABEL[sys], f(s.rate[sys])])),
    'Herald ÷ peer': f(s.heraldToPeer, 2),
    'Herald ÷ bare': f(s.heraldToBare, 2),
    ...(s.ofLimit ? { 'Herald of the limit': pct(s.ofLimit.Herald) } : {}),
  }));
  const cpu = summary.series.map((s) => ({
    'recipients per event': s.recipients,
    ...Object.fromEntries(systems.map((sys) => [LABEL[sys], f(s.cpuMsPerMail[sys], 3)])),
    "Herald's ÷ peer's": f(s.heraldTo.peer?.cpu, 2),
    'bench sink, Herald': f(s.sinkCpuMsPerMail.Herald, 3),
  }));
  const points = HEADLINE.join(' / ');
  const perRep = reps.map((rep, i) => {
    const t = (n: number, s: System) => rep.series[n][s]!;
    return {
      repetition: i + 1,
      first: LABEL[rep.order[0]],
      'load at start; median (max)': `${f(rep.load.atStart, 2)}; ${f(rep.load.median, 2)} (${f(rep.load.max, 2)})`,
      [`Herald ÷ peer msg/s, ${points}`]: HEADLINE.map((n) => f(t(n, 'Herald').rate / t(n, 'peer').rate, 2)).join(' / '),
      [`Herald ÷ peer CPU/mail, ${points}`]: HEADLINE.map((n) => f(t(n, 'Herald').cpuMsPerMail / t(n, 'peer').cpuMsPerMail, 2)).join(' / '),
      ...(run.postfix ? { [`Herald of the limit, ${points}`]: HEADLINE.map((n) => pct(t(n, 'Herald').rate / t(n, 'limit').rate)).join(' / ') } : {}),
    };
  });
  const peak = summary.peakRssMb;
  // The ratios issue 29's targets are about, in one line per point.
  const ratios = [...HEADLINE].reverse().map((n) => {
    const h = at(n);
    const intoSmtpSink = h.ofLimit?.HeraldIntoSmtpSink === undefined ? '' : ` (${pct(h.ofLimit.HeraldIntoSmtpSink)} relaying to smtp-sink itself)`;
    const limit = h.ofLimit ? `, ${pct(h.ofLimit.Herald)} of smtp-source → smtp-sink${intoSmtpSink}` : '';
    const graphql = h.graphqlToPeer ? ` Over GraphQL: ${f(h.graphqlToPeer.rate, 2)}× the peer's msg/s, ${f(h.graphqlToPeer.cpu, 2)}× its CPU per mail.` : '';
    return `${n} recipient${n === 1 ? '' : 's'} per event: ${LABEL.Herald} ${f(h.heraldTo.peer!.rate, 2)}× the peer's msg/s, ${f(h.heraldTo.peer!.cpu, 2)}× its CPU per mail${limit}.${graphql}`;
  });
  return [
    ...ratios,
    '',
    `Headline: ${HEADLINE.join(' and ')} recipients per event (one event per request), ${MAILS} mails per system${run.postfix ? ` (smtp-source: ${LIMIT_MAILS})` : ''}:`,
    '',
    table(headline),
    '',
    "CPU ms/mail: Herald's process (the same process for Herald over GraphQL); the peer's Node and its Redis; the bare loop's own process; smtp-source. Sink CPU: the counting sink's process (smtp-sink's for smtp-source → smtp-sink). Ratios: the median of each repetition's own ratio.",
    load,
    '',
    table(others),
    '',
    load,
    '',
    'msg/s by recipients per event:',
    '',
    table(rates),
    '',
    load,
    '',
    'CPU ms per mail by recipients per event (and the counting sink\'s, while Herald sent):',
    '',
    table(cpu),
    '',
    load,
    '',
    'Per repetition:',
    '',
    table(perRep),
    '',
    `Peak RSS over the run: ${['Herald', ...run.peers].map((s) => `${LABEL[s as System]} ${peak[s]} MB`).join(', ')}; Redis ${run.peers.map((p) => peak[p === 'peer' ? 'redis' : 'redisDefault']).join(' and ')} MB.`,
  ].join('\n');
}

let postfixMissing: string | undefined;

async function main() {
  const load = new LoadMonitor();
  const tools: ReturnType<typeof postfixTools> = process.env.BENCH_PEER_LIMIT === '0' ? { missing: 'BENCH_PEER_LIMIT=0' } : postfixTools();
  postfixMissing = 'missing' in tools ? tools.missing : undefined;
  if (postfixMissing) console.error(`bench: smtp-source → smtp-sink skipped: ${postfixMissing}`);
  const peers: PeerSystem[] = PEER_FLAGS === 'both' ? ['peer', 'peerDefault'] : ['peer'];
  // Herald over GraphQL after the peer: neither Herald system is measured right after the other (the
  // same process), whose leftover work (deliveries being recorded, a GC) would fall on it.
  const systems: System[] = ['Herald', ...peers, ...(INGRESS === 'http' ? (['HeraldGraphql'] as const) : []), 'bare', ...(postfixMissing ? [] : (['limit', 'HeraldIntoSmtpSink', 'sourceToSink'] as const))];
  const run: Partial<Run> & Pick<Run, 'systems' | 'peers' | 'load' | 'dir' | 'redis'> = { systems, peers, load, dir: tempDir('herald-bench-run-'), redis: {} };
  const reps: Repetition[] = [];
  let restart: Awaited<ReturnType<typeof storeRestart>> = [];
  try {
    run.sink = await SinkClient.start();
    for (const p of peers) run.redis[p] = await RedisServer.start(); // each peer its own: they share the queue's name
    if (!('missing' in tools)) run.postfix = { tools, sink: await PostfixSink.start(tools), counting: await PostfixSink.start(tools, { counting: true }) };
    for (let r = 0; r < REPETITIONS; r++) reps.push(await repetition(r, run as Run));
    if (process.env.BENCH_PEER_RESTART !== '0') restart = await storeRestart(run.sink, run.redis.peer!);
  } finally {
    for (const redis of Object.values(run.redis)) await redis.stop();
    await run.postfix?.sink.stop();
    await run.postfix?.counting.stop();
    await run.sink?.stop();
    load.stop();
    rmSync(run.dir, { recursive: true, force: true });
  }
  const restartTable = restart.length ? `When the store restarts while an event to 1,000 people is being sent:\n\n${table(restart)}\n` : '';
  if (!reps.length) return console.log(`\n${restartTable}`); // BENCH_PEER_REPETITIONS=0: the restart scenario alone
  const summary = summarize(run as Run, reps);
  const results = {
    recordedAt: new Date().toISOString(),
    machine: machine(),
    scale: SCALE,
    mailsPerPoint: MAILS,
    limitMailsPerPoint: run.postfix ? LIMIT_MAILS : undefined,
    latencyEvents: LATENCY_EVENTS,
    method: method(run as Run),
    peerFlags: PEER_FLAGS,
    message: run.message && { heraldBytes: run.message.heraldBytes, sentBytes: run.message.sentBytes },
    load: summary.load,
    repetitions: reps,
    summary,
    restart,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  writeChart(RESULTS, CHART);
  const head = `Herald against the peer stack — ${machine()}, ${REPETITIONS} repetitions (systems alternated: repetition r starts with system r), medians`;
  console.log(`\n${head}\n${method(run as Run).join('\n')}\n${loadLine(summary.load)}\n\n${report(run as Run, summary, reps)}\n\n${restartTable}\nResults: ${RESULTS}\nChart: ${CHART}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
