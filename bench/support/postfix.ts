import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { freePort } from '../peers/redis-server';
import { stopChild, track } from './children';
import { cpuMs } from './process-stats';

/**
 * Postfix's SMTP test programs — `smtp-source` (a parallel SMTP client sending one
 * prepared message over and over) and `smtp-sink` (an SMTP server that takes and
 * discards everything), both in C, one process each — as the protocol's limit on a
 * machine: what SMTP over loopback takes at a given message size, connections and
 * recipients per message, with next to no work per mail on either side. Debian's
 * `postfix` package has them in /usr/sbin; neither needs Postfix's daemon.
 */
export interface PostfixTools {
  source: string;
  sink: string;
}

const INSTALL_HINT = 'apt-get install -y postfix (DEBIAN_FRONTEND=noninteractive; only its smtp-source and smtp-sink are used, no daemon), or BENCH_INSTALL_POSTFIX=1';

function which(name: string): string | undefined {
  return ['/usr/sbin', ...(process.env.PATH ?? '').split(delimiter)].map((dir) => join(dir, name)).find((path) => existsSync(path));
}

/**
 * The two programs, or why not: with BENCH_INSTALL_POSTFIX=1 a missing Postfix is
 * installed with apt-get first (Debian); if that install started Postfix's daemon
 * (a machine with an init system), it is stopped again — the benchmark needs only
 * the two programs, and a mail system on port 25 is not what it was asked for.
 */
export function postfixTools(): PostfixTools | { missing: string } {
  const find = () => {
    const source = which('smtp-source');
    const sink = which('smtp-sink');
    return source && sink ? { source, sink } : undefined;
  };
  const found = find();
  if (found) return found;
  if (process.env.BENCH_INSTALL_POSTFIX !== '1') return { missing: `Postfix's smtp-source and smtp-sink are not installed: ${INSTALL_HINT}` };
  console.error('bench: installing postfix (BENCH_INSTALL_POSTFIX=1) for smtp-source and smtp-sink');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postfix'], { env, stdio: 'inherit', timeout: 600_000 }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit', timeout: 600_000 });
    if (!install()) return { missing: `apt-get install postfix failed: ${INSTALL_HINT}` };
  }
  if (spawnSync('postfix', ['status'], { stdio: 'ignore', timeout: 30_000 }).status === 0) {
    spawnSync('postfix', ['stop'], { stdio: 'inherit', timeout: 60_000 });
    console.error("bench: the install started Postfix's daemon; stopped it (postfix stop). On a machine with systemd: systemctl disable --now postfix keeps it off.");
  }
  return find() ?? { missing: `postfix installed, but smtp-source or smtp-sink not found: ${INSTALL_HINT}` };
}

/** Connects until the server's 220 greeting comes (every 20 ms, at most `timeoutMs`). */
async function untilGreeting(port: number, exited: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited()) throw new Error('smtp-sink exited before it listened');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (data) => (socket.end('QUIT\r\n'), resolve(data.toString().startsWith('220'))));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`smtp-sink did not greet within ${timeoutMs} ms`);
}

/**
 * `smtp-sink` on a free loopback port, started and stopped by the benchmark. With
 * `counting`, it is started with `-c`: it prints a running count of the messages it
 * took (one write to a pipe per message, which this class reads), so that a sender
 * other than smtp-source can be timed to its last 250 on this same receiver.
 */
export class PostfixSink {
  private taken = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    // `-c` writes "sess=… quit=… mesg=N" and a carriage return at each message, session end and QUIT.
    child.stdout?.setEncoding('latin1').on('data', (text: string) => {
      const counts = text.match(/mesg=(\d+)/g);
      if (counts) this.taken = Number(counts[counts.length - 1].slice(5));
    });
  }

  static async start(tools: PostfixTools, options: { counting?: boolean } = {}): Promise<PostfixSink> {
    const port = await freePort();
    // As root it must be told whom to run as (its -u); a backlog of 256 connections.
    const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const counting = options.counting ? ['-c'] : [];
    const child = track(spawn(tools.sink, [...counting, ...user, `127.0.0.1:${port}`, '256'], { stdio: ['ignore', options.counting ? 'pipe' : 'ignore', 'inherit'] }));
    let failed = false;
    child.once('error', () => (failed = true));
    try {
      await untilGreeting(port, () => failed || child.exitCode !== null);
      return new PostfixSink(child, port);
    } catch (error) {
      await stopChild(child, { sig: 'SIGKILL' });
      throw error;
    }
  }

  /** Messages taken since it started (a counting sink only). */
  count(): number {
    return this.taken;
  }

  /** Waits until `n` messages have been taken (a counting sink only), polling every 20 ms. */
  async waitFor(n: number, timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.taken < n) {
      if (Date.now() > deadline) throw new Error(`smtp-sink: ${this.taken} of ${n} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  cpuMs(): number {
    return cpuMs(this.child.pid!);
  }

  async stop(): Promise<void> {
    await stopChild(this.child, { graceMs: 5000 });
  }
}

/**
 * Writes a message as smtp-source's `-F` wants it: it appends CRLF to each line
 * (and stuffs leading dots), so the file has bare LF line ends. What arrives is then
 * the message byte for byte, plus an empty last line (2 bytes) that smtp-source
 * always sends before the final dot (bench:peer prints both sizes).
 */
export function writeMessageFile(path: string, raw: string): void {
  const lf = raw.replace(/\r\n/g, '\n');
  writeFileSync(path, Buffer.from(lf.endsWith('\n') ? lf : `${lf}\n`, 'latin1'));
}

/**
 * Runs smtp-source once: `messages` copies of the message in `messageFile` to
 * 127.0.0.1:`port` over `sessions` parallel connections kept open for many messages
 * (`-d`, as nodemailer's pool does), `recipients` per message. Returns the wall time
 * from start to its exit (after the last 250 and QUIT) and its CPU time, read from
 * the shell that waited for it (its children's times in /proc/<shell>/stat).
 * Killed, with its shell, after `timeoutMs`.
 */
export async function runSmtpSource(
  tools: PostfixTools,
  o: { port: number; messageFile: string; messages: number; sessions: number; recipients?: number; timeoutMs?: number },
): Promise<{ seconds: number; cpuMs: number }> {
  const args = ['-d', '-s', String(o.sessions), '-m', String(o.messages), '-r', String(o.recipients ?? 1), '-F', o.messageFile];
  args.push('-f', 'herald@bench.example.com', '-t', 'u@bench.example.com', '-M', 'bench.example.com', `127.0.0.1:${o.port}`);
  // The shell runs smtp-source, then prints its own /proc stat line: fields 16 and 17 (cutime,
  // cstime) are the CPU of the children it waited for, i.e. smtp-source's.
  const script = '"$@"; rc=$?; read -r s < /proc/$$/stat; echo "STAT $s"; exit $rc';
  const started = performance.now();
  const child = track(spawn('sh', ['-c', script, 'sh', tools.source, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }), { group: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timeoutMs = o.timeoutMs ?? 600_000;
  const timer = setTimeout(() => void stopChild(child, { sig: 'SIGKILL', group: true }), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`smtp-source exited with ${code ?? `a signal (timeout ${timeoutMs} ms?)`}: ${err.trim() || out.trim()}`);
  const stat = /^STAT .*$/m.exec(out)?.[0];
  if (!stat) throw new Error(`smtp-source: no CPU figures from its shell: ${out}`);
  const fields = stat.split(') ')[1].split(' '); // fields[0] is the state (field 3 of stat)
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime + cstime, in USER_HZ (100 a second)
  return { seconds, cpuMs: ticks * 10 };
}
