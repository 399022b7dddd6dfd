import type { JobEvent } from '@herald/contracts';
import { parseRetryAfter, RETRY_DEFAULTS, retryDelayMs, type RetryOptions } from './retry';

const PUBLISH = 'mutation PublishJobEvent($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';

/** Herald did not take the event: refused (`retryable: false`), or still unavailable after the last try. */
export class PublishFailedError extends Error {
  constructor(
    message: string,
    /** Herald's `extensions.code` (SERVICE_UNAVAILABLE, FORBIDDEN, …), or the network's error code. */
    readonly code: string | undefined,
    /** The HTTP status of the last answer, if there was one. */
    readonly status: number | undefined,
    /** The tries made. */
    readonly attempts: number,
    /** Whether Herald said (or the failure means) that a later try may succeed. */
    readonly retryable: boolean,
    /** What Herald asked to wait before the next try, in seconds, if it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'PublishFailedError';
  }
}

interface Failure {
  code?: string;
  status?: number;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

interface GraphqlError {
  message?: unknown;
  extensions?: { code?: unknown; retryable?: unknown; retryAfterSeconds?: unknown };
}

interface GraphqlBody {
  data?: { publishJobEvent?: { eventId?: unknown } | null } | null;
  errors?: GraphqlError[];
}

/** The statuses a proxy or a server answers while Herald is away or busy, whatever the body. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * publishJobEvent over HTTP (Node's fetch). A try fails for another try when Herald
 * says so (`extensions.retryable`, SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS, HTTP 429
 * or 503), when a proxy says Herald is away (502, 504), or when Herald cannot be
 * reached or does not answer in time; the pause honours Retry-After. Anything else
 * (a bad token, a refused event) fails at once. The token never appears in an error.
 */
export class GraphqlTransport {
  private readonly options: Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>;
  private readonly closing = new AbortController();

  constructor(
    private readonly url: string,
    private readonly token: string,
    retry: RetryOptions = {},
  ) {
    this.options = { ...RETRY_DEFAULTS, ...retry };
  }

  async publish(event: JobEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const failure = await this.tryOnce(event);
      if (!failure) return;
      const delayMs = failure.retryable && attempt < this.options.attempts ? retryDelayMs(attempt, this.options, failure.retryAfterMs) : undefined;
      if (delayMs === undefined || this.closing.signal.aborted) throw this.failed(event, failure, attempt);
      this.options.onRetry?.({ attempt, delayMs, reason: reasonOf(failure) });
      await this.pause(delayMs);
    }
  }

  /** Stops what is under way: a pending pause or request ends, and its publish() rejects. */
  async close(): Promise<void> {
    this.closing.abort();
  }

  private async tryOnce(event: JobEvent): Promise<Failure | undefined> {
    let response: Response;
    let body: GraphqlBody | undefined;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${this.token}`,
        },
        body: JSON.stringify({ query: PUBLISH, variables: { input: event } }),
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.options.requestTimeoutMs)]),
      });
      body = (await response.json().catch(() => undefined)) as GraphqlBody | undefined;
    } catch (error) {
      if (this.closing.signal.aborted) return { code: 'CLOSED', message: 'the publisher was closed', retryable: false };
      const e = error as Error & { cause?: { code?: unknown } };
      const code = e.name === 'TimeoutError' ? 'TIMEOUT' : typeof e.cause?.code === 'string' ? e.cause.code : 'NETWORK';
      return { code, message: code === 'TIMEOUT' ? `no answer within ${this.options.requestTimeoutMs} ms` : 'Herald could not be reached', retryable: true };
    }
    if (body?.data?.publishJobEvent?.eventId === event.id) return undefined;
    const status = response.status;
    const retryAfterHeader = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const error = body?.errors?.[0];
    if (!error) {
      return { status, message: `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`, retryable: RETRYABLE_STATUSES.has(status), retryAfterMs: retryAfterHeader };
    }
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
    const asked = Number(error.extensions?.retryAfterSeconds);
    return {
      code,
      status,
      message: String(error.message ?? ''),
      retryable: error.extensions?.retryable === true || code === 'SERVICE_UNAVAILABLE' || code === 'TOO_MANY_REQUESTS' || status === 429 || status === 503,
      retryAfterMs: retryAfterHeader ?? (Number.isFinite(asked) && asked >= 0 ? asked * 1000 : undefined),
    };
  }

  private failed(event: JobEvent, failure: Failure, attempts: number): PublishFailedError {
    const why = reasonOf(failure);
    const message = failure.retryable
      ? `Herald did not take event ${event.id} after ${attempts} ${attempts === 1 ? 'try' : 'tries'}: ${why}`
      : `Herald refused event ${event.id}: ${why}`;
    const retryAfterSeconds = failure.retryAfterMs === undefined ? undefined : Math.ceil(failure.retryAfterMs / 1000);
    return new PublishFailedError(message, failure.code, failure.status, attempts, failure.retryable, retryAfterSeconds);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => (clearTimeout(timer), this.closing.signal.removeEventListener('abort', done), resolve());
      const timer = setTimeout(done, ms);
      this.closing.signal.addEventListener('abort', done, { once: true });
    });
  }
}

function reasonOf(failure: Failure): string {
  const head = [failure.code, failure.status === undefined ? undefined : `HTTP ${failure.status}`].filter(Boolean).join(', ');
  return head ? `${head}: ${failure.message}` : failure.message;
}
