import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { stopChild, track } from './children';
import { cpuMs } from './process-stats';

/** Talks to bench/support/sink-process.js: the SMTP sink in its own process. */
export class SinkClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    private readonly rl: Interface,
    readonly port: number,
  ) {}

  static async start(): Promise<SinkClient> {
    const child = track(spawn(process.execPath, [join(__dirname, 'sink-process.js')], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const rl = createInterface({ input: child.stdout! });
    const lines = rl[Symbol.asyncIterator]();
    const first = await lines.next();
    return new SinkClient(child, lines, rl, (JSON.parse(first.value as string) as { port: number }).port);
  }

  private async ask<T>(cmd: Record<string, unknown>): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return JSON.parse((await this.lines.next()).value as string) as T;
  }

  async count(): Promise<number> {
    return (await this.ask<{ count: number }>({ cmd: 'count' })).count;
  }

  async reset(): Promise<void> {
    await this.ask({ cmd: 'reset' });
  }

  async acceptedSince(from = 0): Promise<{ at: number; to: string; messageId?: string }[]> {
    return (await this.ask<{ accepted: { at: number; to: string; messageId?: string }[] }>({ cmd: 'since', from })).accepted;
  }

  /** CPU time the sink's process has used so far, in ms. */
  cpuMs(): number {
    return cpuMs(this.child.pid!);
  }

  /** Keeps the next message the sink takes whole; `captured` returns it (bytes as latin1 text). */
  async capture(): Promise<void> {
    await this.ask({ cmd: 'capture' });
  }

  async captured(): Promise<string | undefined> {
    return (await this.ask<{ raw: string | null }>({ cmd: 'captured' })).raw ?? undefined;
  }

  /** Polls until `n` messages have been accepted; returns when the n-th was. */
  async waitFor(n: number, timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.count()) < n) {
      if (Date.now() > deadline) throw new Error(`sink: ${await this.count()} of ${n} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.rl.close();
    await stopChild(this.child, { graceMs: 5000 });
  }
}
