/** How publishing over GraphQL retries when Herald says to (or cannot be reached). */
export interface RetryOptions {
  /** Tries in all, the first included (default 6; 1: no retry). */
  attempts?: number;
  /** The first pause, in ms (default 1000); each next one doubles, with jitter. */
  minDelayMs?: number;
  /** The longest pause, in ms (default 30 000). A Retry-After longer than this ends the tries at once. */
  maxDelayMs?: number;
  /** How long one request may take, in ms (default 30 000); one that takes longer is tried again. */
  requestTimeoutMs?: number;
  /** Told before each pause (to log it, say). */
  onRetry?: (retry: RetryNotice) => void;
}

export interface RetryNotice {
  /** The try that failed (1 for the first). */
  attempt: number;
  /** How long until the next. */
  delayMs: number;
  /** Why: Herald's code and message (`SERVICE_UNAVAILABLE: …`), the HTTP status, or the network's error. */
  reason: string;
}

export const RETRY_DEFAULTS = { attempts: 6, minDelayMs: 1000, maxDelayMs: 30_000, requestTimeoutMs: 30_000 } as const;

/**
 * A Retry-After header in ms from `now`: delta-seconds or an HTTP date (RFC 9110
 * §10.2.3). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date begins with its weekday (IMF-fixdate, RFC 850, asctime); Date.parse alone takes "1.5".
  if (!/^[A-Za-z]+,? /.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The pause after try `attempt` (from 1): exponential backoff (minDelayMs · 2^(attempt−1),
 * at most maxDelayMs) with jitter (between half and all of it, so that producers refused
 * together do not come back together), and never shorter than what Herald asked
 * (`retryAfterMs`). Undefined when Herald asks for longer than maxDelayMs: stop trying.
 */
export function retryDelayMs(
  attempt: number,
  options: { minDelayMs: number; maxDelayMs: number },
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > options.maxDelayMs) return undefined;
  const backoff = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(backoff / 2 + (random() * backoff) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}
