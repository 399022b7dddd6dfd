import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

export const TLS_FIXTURES = {
  cert: readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'relay.crt'), 'utf8'),
  key: readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'relay.key'), 'utf8'),
};

export interface ReceivedMail {
  /** Envelope sender and recipients, as the SMTP server saw them. */
  from: string;
  to: string[];
  /** The user that authenticated, if any. */
  user?: string;
  /** Whether the session was encrypted. */
  secure: boolean;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpSinkOptions {
  /** Implicit TLS from the first byte (port 465 style). */
  secure?: boolean;
  /** Offer STARTTLS (with the fixture certificate). */
  starttls?: boolean;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Offer XOAUTH2 (alone, or beside PLAIN/LOGIN when `auth` is set too), accepting the tokens this says are valid. */
  xoauth2?: (user: string, accessToken: string) => boolean;
  /** Answer a password login with this instead of accepting it (e.g. Microsoft's 535 5.7.139 for basic authentication). */
  refusePasswords?: SmtpReplyError;
  /** Like Exchange Online: at most this many messages a minute, the rest refused with a 4xx at MAIL FROM. */
  messagesPerMinute?: number;
  /** The quota's "minute", in ms: HERALD_QUOTA_MINUTE_MS as Herald reads it (so that a test takes seconds), else 60 s. */
  minuteMs?: number;
  /** The quota's clock (epoch ms): the test's ManualClock, to count minutes as Herald does; else the system's. */
  now?: () => number;
  /**
   * How the quota counts: `clock` minutes (the default, Exchange-like), or a rolling
   * minute (`sliding`: no window of `minuteMs` ever takes more than the quota, whenever it starts).
   */
  quotaWindow?: 'clock' | 'sliding';
  /** The reply beyond the quota (default Exchange's `450 4.5.127 … submission rate …`), e.g. Postfix's `450 4.7.1 Error: too much mail from …`. */
  quotaReply?: SmtpReplyError;
  /** Reply with an error for some recipients: return e.g. { code: 550, message: '...' }. */
  rejectRecipient?: (address: string) => { code: number; message: string } | undefined;
  /**
   * Never answer at this point of the session (a relay that hangs): no greeting after
   * the connection, no reply to AUTH, or no reply after the message's data.
   */
  stallAt?: 'greeting' | 'auth' | 'data';
  /** Hang up in the middle of DATA (after the message's data, before the reply) for the messages this picks. */
  dropInData?: (mail: { to: string[] }) => boolean;
}

export interface SmtpReplyError {
  code: number;
  message: string;
}

/**
 * A real SMTP server (the `smtp-server` package) on a loopback port, keeping
 * every message it accepts, parsed by mailparser, for the suites to inspect.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server!: SMTPServer;
  port = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  /** While set, every recipient is refused with this reply (e.g. 451: try again later). */
  failWith?: SmtpReplyError;
  /** While set, every MAIL FROM is refused with this reply (a relay in trouble: `451 4.3.2 …`). */
  failMailFromWith?: SmtpReplyError;
  /** MAIL FROM refused by failMailFromWith so far. */
  mailFromRefused = 0;
  /** While set, every message is refused with this reply once its data is in (Gmail's `550 5.4.5 Daily user sending limit exceeded`). */
  failDataWith?: SmtpReplyError;
  /** Messages refused by failDataWith so far. */
  dataRefused = 0;
  /** When each MAIL FROM was accepted (on the quota's clock): what a rolling window holds. */
  readonly acceptedAt: number[] = [];
  /** While set, the server waits this long before accepting a message (a slow relay). */
  dataDelayMs = 0;
  /** Recipients refused so far, with the code. */
  readonly refused: { to: string; code: number }[] = [];
  /** Messages refused for the per-minute quota. */
  throttled = 0;
  /** Sessions hung up during DATA (dropInData). */
  dropped = 0;
  /** Connections opened to it (probes and pooled sessions alike). */
  connections = 0;
  /** AUTH attempts, with the method and whether they were accepted. */
  readonly logins: { method: string; user: string; accepted: boolean }[] = [];
  private quotaWindow = { minute: 0, count: 0 };

  constructor(private readonly options: SmtpSinkOptions = {}) {}

  async start(port = 0): Promise<this> {
    const { secure = false, starttls = false, auth, xoauth2, refusePasswords, messagesPerMinute, stallAt } = this.options;
    const authenticates = !!(auth || xoauth2 || refusePasswords);
    const serverOptions: SMTPServerOptions = {
      secure,
      ...(secure || starttls ? TLS_FIXTURES : {}),
      hideSTARTTLS: !starttls,
      authOptional: !authenticates,
      authMethods: xoauth2 ? ['XOAUTH2', ...(auth ? ['PLAIN', 'LOGIN'] : [])] : ['PLAIN', 'LOGIN'],
      allowInsecureAuth: !secure && !starttls,
      logger: false,
      // stop() waits for clients to hang up; a pooled client keeps idle connections open.
      closeTimeout: 500,
      disabledCommands: authenticates ? [] : ['AUTH'],
      onConnect: (_session, callback) => {
        this.connections++;
        if (stallAt !== 'greeting') callback();
      },
      onAuth: (a, _session, callback) => {
        if (stallAt === 'auth') return;
        const user = a.username ?? '';
        const accept = () => (this.logins.push({ method: a.method, user, accepted: true }), callback(null, { user }));
        const refuse = (reply: SmtpReplyError) => {
          this.logins.push({ method: a.method, user, accepted: false });
          return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
        };
        if (a.method === 'XOAUTH2') {
          // smtp-server's XOAUTH2 answers a refusal with the JSON challenge, then 535 once the client gives up.
          if (xoauth2?.(user, a.accessToken ?? '')) return accept();
          this.logins.push({ method: a.method, user, accepted: false });
          return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' } });
        }
        if (refusePasswords) return refuse(refusePasswords);
        if (auth && user === auth.user && a.password === auth.pass) return accept();
        return refuse({ code: 535, message: 'Authentication credentials invalid' });
      },
      onMailFrom: (_address, _session, callback) => {
        if (this.failMailFromWith) {
          this.mailFromRefused++;
          return callback(Object.assign(new Error(this.failMailFromWith.message), { responseCode: this.failMailFromWith.code }));
        }
        const now = (this.options.now ?? Date.now)();
        if (messagesPerMinute) {
          const minuteMs = this.options.minuteMs ?? (Number(process.env.HERALD_QUOTA_MINUTE_MS) || 60_000);
          let over: boolean;
          if (this.options.quotaWindow === 'sliding') over = this.acceptedAt.filter((t) => t > now - minuteMs).length >= messagesPerMinute;
          else {
            const minute = Math.floor(now / minuteMs);
            if (this.quotaWindow.minute !== minute) this.quotaWindow = { minute, count: 0 };
            over = ++this.quotaWindow.count > messagesPerMinute;
          }
          if (over) {
            this.throttled++;
            const reply = this.options.quotaReply ?? { code: 450, message: '4.5.127 Message submission rate for this client has exceeded the configured limit' };
            return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
          }
        }
        this.acceptedAt.push(now);
        return callback();
      },
      onRcptTo: (address, _session, callback) => {
        const rejection = this.failWith ?? this.options.rejectRecipient?.(address.address);
        if (rejection) {
          this.refused.push({ to: address.address, code: rejection.code });
          return callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
        }
        return callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (stallAt === 'data') return;
          if (this.failDataWith) {
            this.dataRefused++;
            return callback(Object.assign(new Error(this.failDataWith.message), { responseCode: this.failDataWith.code }));
          }
          if (this.options.dropInData?.({ to: session.envelope.rcptTo.map((r) => r.address) })) {
            this.dropped++;
            // smtp-server keeps its connections by the session's id; the socket is its own.
            const connections = (this.server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
            for (const c of connections) if (c.id === session.id) c._socket.destroy();
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          void simpleParser(raw).then(async (parsed) => {
            if (this.dataDelayMs) await new Promise((r) => setTimeout(r, this.dataDelayMs));
            this.received.push(this.mail(session, raw, parsed));
            this.notify();
            callback();
          }, callback);
        });
      },
    };
    this.server = new SMTPServer(serverOptions);
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** The environment of a Herald whose relay is this server, on first start: plain SMTP, no AUTH, this sender. */
  relayEnv(sender = 'h@example.com'): Record<string, string> {
    return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.port), SMTP_SECURITY: 'NONE', SMTP_AUTH: 'false', SMTP_SENDER: sender };
  }

  /** Resolves when at least `count` messages have arrived (or rejects after `ms`). */
  waitFor(count: number, ms = 10_000): Promise<ReceivedMail[]> {
    if (this.received.length >= count) return Promise.resolve(this.received);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} mails, got ${this.received.length}`)), ms);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(this.received)) });
    });
  }

  /** The most MAIL FROM accepted in any window of `ms` (each window ending at an acceptance: where the count peaks). */
  busiestWindow(ms: number): number {
    return Math.max(0, ...this.acceptedAt.map((end) => this.acceptedAt.filter((t) => t > end - ms && t <= end).length));
  }

  /** Hangs up every open session (a pooled client must connect, and sign in, again). */
  endSessions(): void {
    // smtp-server keeps its open connections in `connections`, which its types do not declare.
    for (const connection of (this.server as unknown as { connections: Set<{ close(): void }> }).connections) connection.close();
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
  }

  private mail(session: SMTPServerSession, raw: string, parsed: ParsedMail): ReceivedMail {
    const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    return {
      from,
      to: session.envelope.rcptTo.map((r) => r.address),
      user: session.user as string | undefined,
      secure: !!session.secure,
      raw,
      parsed,
    };
  }
}

/** A loopback port with nothing listening (for connection failures). */
export async function closedPort(): Promise<number> {
  const sink = await new SmtpSink().start();
  const { port } = sink;
  await sink.stop();
  return port;
}
