import type { DeliveryKind } from '../channels/delivery-channel.port';
import type { NotifiedEvent } from '../event-types/notification-type';
import type { ChatMessage } from './messages/chat-message';
import type { SendableTarget } from './notification-targets';

/** What one post is about: the message as written for the target, and the events as stored (for the signed webhook). */
export interface PostContent {
  message: ChatMessage;
  kind: DeliveryKind | 'TEST';
  /** The delivery (null for testNotificationTarget's message). */
  deliveryId: number | null;
  /** The events, as stored (wire format, with what Herald's history says), oldest first. */
  events: NotifiedEvent[];
  /** A digest's or summary's window. */
  window?: { start: Date; end: Date };
}

/** A request's body and headers. */
export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

/** How a kind of target is posted to: what it sends, and how fast it may. */
export interface WebhookFormat {
  /** The delivery channel (`deliveries.channel`). */
  readonly channel: string;
  /** The least time between two posts to one target (Slack: about one a second per webhook). */
  readonly intervalMs: number;
  write(content: PostContent, target: SendableTarget, now: number): WebhookRequest;
}
