import { createHmac } from 'node:crypto';
import type { WebhookFormat } from '../webhook-format';

/** The headers of a signed webhook call (docs/wire-format.md, "Notification targets: signed webhooks"). */
export const SIGNATURE_HEADER = 'X-Herald-Signature';
export const TIMESTAMP_HEADER = 'X-Herald-Timestamp';
export const DELIVERY_HEADER = 'X-Herald-Delivery-Id';

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
    const { message } = content;
    const body = JSON.stringify({
      schemaVersion: 1,
      kind: content.kind,
      deliveryId: content.deliveryId === null ? null : String(content.deliveryId),
      target: { id: String(target.id), name: target.name },
      application: message.application,
      ...(content.window && { window: { start: content.window.start.toISOString(), end: content.window.end.toISOString() } }),
      message: { title: message.title, lang: message.lang, ...(message.link && { link: message.link.url }) },
      events: content.events,
    });
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

export function signature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
