import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * The benchmarks' SMTP server: accepts everything, parses nothing, and notes when
 * each message was accepted (the 250 reply) and for whom — cheap enough not to be
 * what is measured. Run it in its own process (bench/support/sink-process.ts) so
 * that it does not share an event loop with what it measures.
 */
export class CountingSmtpSink {
  readonly accepted: { at: number; to: string; messageId?: string }[] = [];
  /** Set: the next message is kept whole (`captured`), to learn what a sender really sends. */
  captureNext = false;
  captured?: Buffer;
  private server!: SMTPServer;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: 0,
      maxClients: 1000,
      onData: (stream, session, callback) => {
        let head = '';
        const whole: Buffer[] | undefined = this.captureNext ? [] : undefined;
        this.captureNext = false;
        stream.on('data', (chunk: Buffer) => {
          if (head.length < 4096) head += chunk.toString('latin1', 0, Math.min(chunk.length, 4096));
          whole?.push(chunk);
        });
        stream.on('end', () => {
          if (whole) this.captured = Buffer.concat(whole);
          // A copy, not a slice: a slice of `head` would keep the whole chunk (the message) alive
          // with each entry, and the sink's heap would grow by the size of every mail it took
          // (500 MB in a run of bench:pipeline, and stalls of its garbage collector that the
          // fastest sender paid most for).
          const found = /^Message-ID:\s*(\S+)/im.exec(head)?.[1];
          const messageId = found === undefined ? undefined : Buffer.from(found, 'latin1').toString('latin1');
          const at = performance.timeOrigin + performance.now();
          for (const r of session.envelope.rcptTo) this.accepted.push({ at, to: r.address, messageId });
          callback();
        });
      },
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
