import type { WebhookAnswer } from './webhook-http';

/**
 * What an answer means for the delivery: sent (2xx); slow down (429, or 503 with a
 * Retry-After — the service said when it is back, RFC 9110 — until its Retry-After:
 * no attempt spent, as Microsoft Graph's are taken); a transient failure (other 5xx,
 * a 503 without a Retry-After it can read, a timeout, a broken connection: retried
 * with backoff); a final one (400 and other 4xx: the message is refused and will be
 * again); gone (404, 410: the webhook was deleted, the target is disabled); refused
 * (the SSRF rules at send time: final).
 */
export type AnswerMeaning =
  | { outcome: 'sent'; reply: string }
  | { outcome: 'slow-down'; untilMs: number; reply: string }
  | { outcome: 'transient' | 'final' | 'gone' | 'refused'; reply: string | null; description: string };

/** When a 429 says nothing of when to come back. */
const DEFAULT_SLOW_DOWN_MS = 60_000;
/** The longest Herald waits on a Retry-After (an hour): a longer one is read as this. */
const MAX_SLOW_DOWN_MS = 3_600_000;

export function classifyAnswer(answer: WebhookAnswer, host: string, now: number): AnswerMeaning {
  if (!answer.answered) {
    if (answer.refused) return { outcome: 'refused', reply: null, description: answer.description };
    return { outcome: 'transient', reply: null, description: answer.description };
  }
  const reply = `HTTP ${answer.status}${answer.body ? ` ${oneLine(answer.body)}` : ''}`;
  const { status } = answer;
  if (status >= 200 && status < 300) return { outcome: 'sent', reply };
  const retryAfter = givenRetryAfterMs(answer.retryAfter, now);
  if (status === 429 || (status === 503 && retryAfter !== undefined)) return { outcome: 'slow-down', untilMs: now + (retryAfter ?? DEFAULT_SLOW_DOWN_MS), reply };
  if (status === 404 || status === 410) return { outcome: 'gone', reply, description: `${host} answered ${status}: the webhook was deleted; the target is disabled` };
  if (status >= 500 || status === 408) return { outcome: 'transient', reply, description: `${host} answered ${status}` };
  return { outcome: 'final', reply, description: `${host} refused the message (${status})` };
}

/** Retry-After in seconds or as an HTTP date, in ms from now (bounded); undefined when absent or unreadable. */
function givenRetryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 1000), MAX_SLOW_DOWN_MS);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
