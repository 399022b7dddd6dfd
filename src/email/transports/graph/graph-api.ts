import type { AccessToken } from '../../../smtp/smtp-gateway';
import type { ConcurrencyLimit } from './concurrency-limit';

/** Where the requests go and as whom. */
export interface GraphConnection {
  /** Graph's base URL, without a trailing slash (https://graph.microsoft.com). */
  endpoint: string;
  /** The mailbox the mail is sent as: `/users/{mailbox}/sendMail`. */
  mailbox: string;
  /** The app's access token for `<endpoint>/.default`; `renew` after Graph refused one. */
  token(options?: { renew?: boolean }): Promise<AccessToken>;
  /** How long one request may take (connect, send, answer). */
  timeoutMs: number;
  /** Shared by every request for this mailbox. */
  limit: ConcurrencyLimit;
  /** The clock (epoch ms), for an HTTP-date Retry-After. */
  now(): number;
}

/** What Graph answers about a user (GET /users/{id}). */
export interface GraphUser {
  id: string;
  displayName?: string;
  mail?: string | null;
  userPrincipalName?: string;
}

/**
 * A request Graph did not accept: its answer (status, Graph's error code and
 * message, Retry-After), or no answer at all (`status` null: unreachable, or timed
 * out). The message names the endpoint and the request, never a token.
 */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly request: 'sendMail' | 'user',
    readonly endpoint: string,
    readonly mailbox: string,
    readonly status: number | null,
    /** Graph's `error.code` (ErrorInvalidRecipients, ErrorAccessDenied, ApplicationThrottled…). */
    readonly code: string | null,
    /** Graph's `error.message`. */
    readonly graphMessage: string | null,
    readonly retryAfterMs?: number,
    /** No answer: the system error code (ECONNREFUSED, ENOTFOUND…), or TIMEOUT. */
    readonly networkCode?: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }

  /** The answer as one line, as relayStatus and the delivery log show it: `403 ErrorAccessDenied: Access is denied…`. */
  get reply(): string | null {
    if (this.status === null) return null;
    return `${this.status} ${this.code ?? ''}${this.graphMessage ? `: ${this.graphMessage}` : ''}`.replace(/ +/g, ' ').slice(0, 1000);
  }
}

/**
 * Microsoft Graph's mail API over Node's fetch, for one mailbox: sendMail with
 * Herald's MIME (base64, `Content-Type: text/plain`: Graph sends the message as it
 * is, every header included) and the user lookup of the check. At most
 * `limit.max` requests at once; a refused token (401) is renewed and the request
 * made once more.
 */
export class GraphApi {
  constructor(
    private readonly connection: GraphConnection,
    private readonly fetch: typeof globalThis.fetch = globalThis.fetch,
  ) {}

  /** The endpoint's host, for messages (`graph.microsoft.com`). */
  get host(): string {
    return hostOf(this.connection.endpoint);
  }

  get mailbox(): string {
    return this.connection.mailbox;
  }

  /** Sends one message (its MIME bytes); answers Graph's reply (`202 Accepted`) or throws a GraphError. */
  async sendMail(raw: Buffer): Promise<string> {
    const response = await this.request('sendMail', 'POST', `/v1.0/users/${encodeURIComponent(this.connection.mailbox)}/sendMail`, raw.toString('base64'));
    return `${response.status} ${response.statusText || 'Accepted'}`;
  }

  /** The mailbox's user (needs User.Read.All, which sending does not: a 403 says the app may not read users). */
  async user(): Promise<GraphUser> {
    const path = `/v1.0/users/${encodeURIComponent(this.connection.mailbox)}?$select=id,displayName,mail,userPrincipalName`;
    const response = await this.request('user', 'GET', path);
    return parseJson(response.text) as unknown as GraphUser;
  }

  private async request(request: GraphError['request'], method: string, path: string, body?: string): Promise<{ status: number; statusText: string; text: string }> {
    const { connection } = this;
    let token = await connection.token();
    const release = await connection.limit.acquire();
    try {
      let answer = await this.call(request, method, path, token.value, body);
      if (answer.status === 401) {
        // An expired or revoked token: one new token, one more try.
        token = await connection.token({ renew: true });
        answer = await this.call(request, method, path, token.value, body);
      }
      if (answer.status >= 200 && answer.status < 300) return answer;
      throw this.refused(request, answer);
    } finally {
      release();
    }
  }

  private async call(request: GraphError['request'], method: string, path: string, token: string, body?: string): Promise<{ status: number; statusText: string; text: string; retryAfter: string | null }> {
    const { endpoint, mailbox, timeoutMs } = this.connection;
    try {
      const response = await this.fetch(`${endpoint}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'text/plain' }) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, statusText: response.statusText, text: await response.text(), retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      const cause = causeOf(error);
      const what = cause === 'TIMEOUT' ? `did not answer within ${timeoutMs} ms` : `unreachable (${cause})`;
      throw new GraphError(`Microsoft Graph ${this.host} ${what} (${request} as ${mailbox})`, request, endpoint, mailbox, null, null, null, undefined, cause);
    }
  }

  private refused(request: GraphError['request'], answer: { status: number; text: string; retryAfter: string | null }): GraphError {
    const { endpoint, mailbox } = this.connection;
    const error = parseJson(answer.text)?.error as { code?: unknown; message?: unknown } | undefined;
    const code = typeof error?.code === 'string' ? error.code : null;
    const message = typeof error?.message === 'string' ? error.message.replace(/[\r\n]+/g, ' ').slice(0, 500) : null;
    const retryAfterMs = retryAfterOf(answer.retryAfter, this.connection.now());
    const text = `Microsoft Graph ${this.host} answered ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''} (${request} as ${mailbox})`;
    return new GraphError(text, request, endpoint, mailbox, answer.status, code, message, retryAfterMs);
  }
}

/** Retry-After as Graph sends it (seconds; an HTTP date is allowed too), in ms; undefined when absent or unreadable. */
export function retryAfterOf(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(at - now, 0);
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The system error behind a failed fetch (ECONNREFUSED, ENOTFOUND, a TLS code), or TIMEOUT. */
function causeOf(error: unknown): string {
  const e = error as Error & { cause?: Error & { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
