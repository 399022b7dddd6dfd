import type { IncomingMessage, ServerResponse } from 'node:http';
import { simpleParser, type ParsedMail } from 'mailparser';
import { LoopbackHttpServer } from './loopback-http-server';

/** What the fake answers a sendMail with, instead of 202. */
export interface GraphAnswer {
  status: number;
  /** Graph's error code, e.g. ErrorInvalidRecipients, ErrorAccessDenied, ApplicationThrottled. */
  code?: string;
  message?: string;
  /** The Retry-After header, in seconds. */
  retryAfter?: number;
}

/** A message Graph accepted: the mailbox it was sent from, the bytes of its MIME and the MIME parsed. */
export interface GraphMail {
  mailbox: string;
  token: string;
  raw: string;
  parsed: ParsedMail;
}

/**
 * A local HTTP server playing Microsoft Graph's mail API, as Microsoft documents
 * it: `POST /v1.0/users/{id | userPrincipalName}/sendMail` with `Content-Type:
 * text/plain` and the message's MIME in base64 answers `202 Accepted` with an empty
 * body; `GET /v1.0/users/{id}` the user. It checks the bearer token with the test's
 * token endpoint (and that it was issued for this Graph: scope `<url>/.default`),
 * decodes and parses the MIME, and answers errors as Graph does, JSON
 * `{ "error": { "code", "message" } }`: 400 for a recipient it is told is invalid,
 * 401 for a bad token, 403 while the app may not send (no Mail.Send, or an
 * application access policy excludes the mailbox), 404 for an unknown mailbox, or
 * whatever the test queues (429 with Retry-After, 503…). It counts the requests in
 * flight, and can hold each sendMail for a while so that they overlap.
 */
export class FakeGraph extends LoopbackHttpServer {
  readonly received: GraphMail[] = [];
  /** Every sendMail request, whatever the answer: its mailbox and the status answered. */
  readonly sendRequests: { mailbox: string; status: number; at: number }[] = [];
  /** GET user requests. */
  readonly userRequests: string[] = [];
  /** Mailboxes that exist (lower case). */
  readonly mailboxes = new Set<string>();
  /** Recipients Graph refuses (400 ErrorInvalidRecipients). */
  readonly invalidRecipients = new Set<string>();
  /** While set, every sendMail is refused with 403 ErrorAccessDenied (the app lacks Mail.Send for the mailbox). */
  denySend = false;
  /** Whether the app may read users (User.Read.All); otherwise GET user answers 403. */
  canReadUsers = true;
  /** Answers for the next sendMail requests, in order, before anything else is checked beyond the token. */
  readonly queued: GraphAnswer[] = [];
  /** How long each sendMail is held before it is answered (so that requests overlap). */
  holdMs = 0;
  /** Once `accepted` mails are in, the next `answers` sendMail requests get 429 ApplicationThrottled with Retry-After `retryAfter` (s). */
  throttleAfter?: { accepted: number; answers: number; retryAfter: number };
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly isValidToken: (token: string, scope: string) => boolean) {
    super();
  }

  addMailbox(address: string): this {
    this.mailboxes.add(address.toLowerCase());
    return this;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      let body = '';
      for await (const chunk of req) body += chunk;
      await this.answer(req, body, res);
    } finally {
      this.inFlight--;
    }
  }

  private async answer(req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: { code, message, innerError: { date: new Date().toISOString() } } }));
    };
    const url = new URL(req.url ?? '/', this.url);
    const send = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(url.pathname);
    const user = /^\/v1\.0\/users\/([^/]+)$/.exec(url.pathname);
    const mailbox = decodeURIComponent((send ?? user)?.[1] ?? '').toLowerCase();
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!(send && req.method === 'POST') && !(user && req.method === 'GET')) return error(404, 'UnknownError', `no such route: ${req.method} ${url.pathname}`);
    if (!token || !this.isValidToken(token, `${this.url}/.default`)) {
      if (send) this.sendRequests.push({ mailbox, status: 401, at: Date.now() });
      return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    if (user) {
      this.userRequests.push(mailbox);
      if (!this.canReadUsers) return error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      if (!this.mailboxes.has(mailbox)) return error(404, 'Request_ResourceNotFound', `Resource '${mailbox}' does not exist or one of its queried reference-property objects are not present.`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `id-${mailbox}`, userPrincipalName: mailbox, mail: mailbox, displayName: 'Alerts' }));
      return;
    }
    if (this.holdMs) await new Promise((r) => setTimeout(r, this.holdMs));
    const refuse = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      this.sendRequests.push({ mailbox, status, at: Date.now() });
      error(status, code, message, headers);
    };
    const throttle = this.throttleAfter;
    if (throttle && this.received.length >= throttle.accepted && throttle.answers > 0) {
      throttle.answers--;
      return refuse(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': String(throttle.retryAfter) });
    }
    const next = this.queued.shift();
    if (next) return refuse(next.status, next.code ?? 'UnknownError', next.message ?? 'error', next.retryAfter === undefined ? {} : { 'retry-after': String(next.retryAfter) });
    if (!this.mailboxes.has(mailbox)) return refuse(404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
    if (this.denySend) return refuse(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    if (!/^text\/plain\b/.test(req.headers['content-type'] ?? '')) return refuse(400, 'RequestBodyRead', 'MIME content is expected with Content-Type: text/plain');
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(body) || !body.trim()) return refuse(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    const raw = Buffer.from(body, 'base64').toString('utf8');
    const parsed = await simpleParser(raw);
    const recipients = [parsed.to, parsed.cc, parsed.bcc].flatMap((a) => (a ? [a].flat() : [])).flatMap((a) => a.value.map((v) => v.address?.toLowerCase() ?? ''));
    const invalid = recipients.find((r) => this.invalidRecipients.has(r));
    if (invalid) return refuse(400, 'ErrorInvalidRecipients', `At least one recipient isn't valid., Recipient '${invalid}' isn't resolved. All recipients must be resolved before a message can be submitted.`);
    this.sendRequests.push({ mailbox, status: 202, at: Date.now() });
    this.received.push({ mailbox, token, raw, parsed });
    res.writeHead(202).end();
  }
}
