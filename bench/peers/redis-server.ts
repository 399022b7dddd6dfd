import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { stopChild, tempDir, track } from '../support/children';

/** A free TCP port on loopback (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Asks Redis for PING every 20 ms until it answers PONG. */
async function untilPong(port: number, exited: () => number | null, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited() !== null) throw new Error(`redis-server exited with ${exited()}`);
    const pong = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('+PONG'))));
      socket.once('error', () => resolve(false));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server did not answer PING within ${timeoutMs} ms`);
}

/**
 * A Redis of the benchmark's own (Debian's `redis-server`, `apt-get install
 * redis-server`) on a free loopback port, in a temporary directory, keeping
 * nothing on disk: no RDB snapshots (`save ""`), no append-only file. So a
 * restart of it loses every queued job (docs/benchmarks-history.md says what that
 * means). `maxmemory-policy noeviction` is what BullMQ's "Going to production"
 * requires. Never a shared instance: this one is started and stopped here.
 */
export class RedisServer {
  private constructor(
    /** The running redis-server (a new one after `restart`). */
    public child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const dir = tempDir('herald-bench-redis-');
    try {
      return new RedisServer(await RedisServer.spawn(port, dir), port, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private static async spawn(port: number, dir: string): Promise<ChildProcess> {
    const child = track(spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'ignore', 'inherit'] }));
    let spawnFailed = false; // e.g. ENOENT: not installed
    child.once('error', () => (spawnFailed = true));
    try {
      await untilPong(port, () => (spawnFailed ? -1 : child.exitCode));
      return child;
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message} (is redis-server installed? apt-get install -y redis-server)`);
    }
  }

  /** Stops this instance and starts it again on the same port: with nothing on disk, it comes back empty. */
  async restart(): Promise<void> {
    await this.stopServer();
    this.child = await RedisServer.spawn(this.port, this.dir);
  }

  private async stopServer(): Promise<void> {
    await stopChild(this.child, { graceMs: 10_000 });
  }

  async stop(): Promise<void> {
    await this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
