import { createHmac } from 'node:crypto';
import { JobEventType } from '@herald/contracts';
import type { NotifiedEvent } from '../../event-types/notification-type';
import type { SendableTarget } from '../notification-targets';
import type { PostContent, WebhookFormat } from '../webhook-format';

/** The headers of a signed webhook call (docs/wire-format.md, "Notification targets: signed webhooks"). */
export const SIGNATURE_HEADER = 'X-Herald-Signature';
export const TIMESTAMP_HEADER = 'X-Herald-Timestamp';
export const DELIVERY_HEADER = 'X-Herald-Delivery-Id';

/**
 * The most a request's body may weigh: 1 MiB, what nginx takes by default
 * (`client_max_body_size`), and less than what common gateways take. An event's
 * post stays far below (a log excerpt is at most 64 K characters); a digest or a
 * summary of many events may not, and is fitted (`fitEvents`).
 */
export const SIGNED_BODY_BYTES = 1024 * 1024;

/**
 * A generic webhook: the events as JSON, as Herald stored them (the wire format,
 * with what its job history says), and the message as a team would read it. Signed
 * like Herald's alert webhook, with a timestamp so that a receiver can refuse a
 * replay: `X-Herald-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
 * with the target's secret, `X-Herald-Timestamp: <Unix seconds>`.
 */
export const SIGNED_FORMAT: WebhookFormat = {
  channel: 'webhook',
  intervalMs: 0,
  write: (content, target, now) => {
    const body = signedBody(content, target);
    const timestamp = String(Math.floor(now / 1000));
    return {
      body,
      headers: {
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: `sha256=${signature(target.secret ?? '', timestamp, body)}`,
        ...(content.deliveryId !== null && { [DELIVERY_HEADER]: String(content.deliveryId) }),
      },
    };
  },
};

/** The JSON body (docs/wire-format.md), at most SIGNED_BODY_BYTES in UTF-8. */
export function signedBody(content: PostContent, target: Pick<SendableTarget, 'id' | 'name'>): string {
  const { message } = content;
  const head = {
    schemaVersion: 1,
    kind: content.kind,
    deliveryId: content.deliveryId === null ? null : String(content.deliveryId),
    target: { id: String(target.id), name: target.name },
    application: message.application,
    ...(content.window && { window: { start: content.window.start.toISOString(), end: content.window.end.toISOString() } }),
    message: { title: message.title, lang: message.lang, ...(message.link && { link: message.link.url }) },
  };
  const whole = JSON.stringify({ ...head, events: content.events });
  if (Buffer.byteLength(whole) <= SIGNED_BODY_BYTES) return whole;
  // Room for the events once the rest is written, `omitted` included (its counts at their widest).
  const most = content.events.length;
  const room = SIGNED_BODY_BYTES - Buffer.byteLength(JSON.stringify({ ...head, events: [], omitted: { logExcerpts: most, events: most } }));
  const { events, omitted } = fitEvents(content.events, room);
  return JSON.stringify({ ...head, events, omitted });
}

/**
 * Events (oldest first) fitted into `room` bytes of a JSON array: the log excerpts
 * of the oldest go first, then, if that is not enough, the oldest events
 * themselves; a newer event kept gets its excerpt back if it fits then. What was
 * left out is counted, for the receiver (`omitted`).
 */
export function fitEvents(all: readonly NotifiedEvent[], room: number): { events: NotifiedEvent[]; omitted: { logExcerpts: number; events: number } } {
  const bytes = (e: NotifiedEvent) => Buffer.byteLength(JSON.stringify(e)) + 1; // and its comma
  const items = all.map((full) => {
    const excerpt = full.type === JobEventType.JOB_FAILED && full.error.logExcerpt !== undefined;
    const bare = excerpt ? ({ ...full, error: { ...full.error, logExcerpt: undefined } } as NotifiedEvent) : full;
    return { full, bare, fullBytes: bytes(full), bareBytes: excerpt ? bytes(bare) : 0, cut: false };
  });
  let total = items.reduce((sum, item) => sum + item.fullBytes, 0);
  for (const item of items) {
    if (total <= room) break;
    if (!item.bareBytes) continue;
    item.cut = true;
    total -= item.fullBytes - item.bareBytes;
  }
  let first = 0;
  for (; total > room && first < items.length; first++) total -= items[first].cut ? items[first].bareBytes : items[first].fullBytes;
  const kept = items.slice(first);
  for (let i = kept.length - 1; i >= 0 && first > 0; i--) {
    const item = kept[i];
    if (item.cut && total + item.fullBytes - item.bareBytes <= room) {
      item.cut = false;
      total += item.fullBytes - item.bareBytes;
    }
  }
  return {
    events: kept.map((item) => (item.cut ? item.bare : item.full)),
    omitted: { logExcerpts: kept.filter((item) => item.cut).length, events: first },
  };
}

export function signature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
