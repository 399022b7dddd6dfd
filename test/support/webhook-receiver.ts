import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The certificate of the receivers (test/fixtures/tls/webhook.crt: 127.0.0.2 only): WEBHOOK_CA_FILE in the suites. */
export const WEBHOOK_CA_FILE = join(__dirname, '..', 'fixtures', 'tls', 'webhook.crt');
/** The address receivers listen on: allowed by the suites (WEBHOOK_ALLOWED_RANGES), while 127.0.0.1 stays refused. */
export const RECEIVER_HOST = '127.0.0.2';

/** What a test's webhooks are allowed: any host, the receivers' address, their CA; a short timeout for the hanging one. */
export const WEBHOOK_TEST_ENV = { WEBHOOK_ALLOWED_HOSTS: '*', WEBHOOK_ALLOWED_RANGES: `${RECEIVER_HOST}/32`, WEBHOOK_CA_FILE, WEBHOOK_TIMEOUT_MS: '1500' };

/** One request a receiver got. */
export interface ReceivedPost {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
  status: number;
}

/** How a receiver answers a request: a status (and headers, a body), or hang (never answer). */
export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A webhook endpoint for the tests, over HTTPS (the fixture certificate) or plain
 * HTTP: it keeps every POST and answers 200, or what `answer` says per request
 * (429 with Retry-After, 500, 410, or hang).
 */
export class WebhookReceiver {
  private server!: Server;
  port = 0;
  readonly received: ReceivedPost[] = [];
  answer: (post: Omit<ReceivedPost, 'status'>) => ReceiverAnswer = () => ({ status: 200, body: 'ok' });
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly secure = true) {}

  url(path = '/hook'): string {
    return `${this.secure ? 'https' : 'http'}://${RECEIVER_HOST}:${this.port}${path}`;
  }

  /** The posts to one path. */
  to(path: string): ReceivedPost[] {
    return this.received.filter((p) => p.path === path);
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const post = { path: req.url ?? '', headers: req.headers, body, json };
        const answer = this.answer(post);
        if (answer === 'hang') {
          this.received.push({ ...post, status: 0 });
          this.hanging.add(res);
          return;
        }
        this.received.push({ ...post, status: answer.status });
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    };
    const dir = join(__dirname, '..', 'fixtures', 'tls');
    this.server = this.secure ? createHttpsServer({ key: readFileSync(join(dir, 'webhook.key')), cert: readFileSync(join(dir, 'webhook.crt')) }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server.listen(0, RECEIVER_HOST, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Ends the requests held so far ('hang') by closing their connections, as a webhook that gives up does. */
  async releaseHanging(): Promise<void> {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.socket?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
