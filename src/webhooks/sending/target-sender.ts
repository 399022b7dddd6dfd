import { Injectable, Logger } from '@nestjs/common';
import type { ChannelAttempt, ChannelDelivery, DispatchContext } from '../../channels/delivery-channel.port';
import { Clock } from '../../clock/clock';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { disabledReasonOf, TargetDisabler } from '../dead-targets/target-disabler';
import { ChatMessageWriter, type ChatReader } from '../messages/chat-message';
import { NotificationTargets, type SendableTarget } from '../notification-targets';
import { targetIdOf } from '../target-ids';
import type { PostContent, WebhookFormat } from '../webhook-format';
import { type AnswerMeaning, classifyAnswer } from './answer-classification';
import { TargetPacing } from './target-pacing';
import { WebhookHttp } from './webhook-http';

/**
 * What the three target channels (teams/, slack/, signed/) share: a batch's targets
 * loaded at once, each delivery written for its target (its language and zone),
 * posted in the target's format at the target's pace, and the answer classified.
 * Only the delivery at hand waits or fails: a target never holds its channel (one
 * slow webhook must not hold the others back), so no failure here is channel-wide
 * with a hold.
 */
@Injectable()
export class TargetSender {
  private readonly logger = new Logger('NotificationTargets');
  /** The targets of the batches at hand (decrypted, in memory only). */
  private readonly targets = new Map<number, SendableTarget>();
  /** Events handed over with their deliveries (parsed), kept for the batch. */
  private readonly events = new Map<string, NotifiedEvent>();

  constructor(
    private readonly store: NotificationTargets,
    private readonly writer: ChatMessageWriter,
    private readonly http: WebhookHttp,
    private readonly pacing: TargetPacing,
    private readonly disabler: TargetDisabler,
    private readonly clock: Clock,
  ) {}

  /** The batch's targets in one query, and its events (those handed over, else in one query). */
  async take(batch: readonly ChannelDelivery[], context: DispatchContext, payloads?: ReadonlyMap<string, string>): Promise<void> {
    const ids = batch.map((d) => targetIdOf(d.recipientId)).filter((id): id is number => id !== null);
    for (const [id, target] of await this.store.sendable(ids)) this.targets.set(id, target);
    const wanted = [...new Set(batch.filter((d) => d.kind === 'EVENT').map((d) => d.eventId))].filter((id) => !this.events.has(id));
    const given = payloads ?? (wanted.length ? await context.payloads(wanted) : new Map<string, string>());
    for (const [id, payload] of given) this.events.set(id, JSON.parse(payload) as NotifiedEvent);
    // A bounded memory, the oldest first out: events may carry 64 KB of log each.
    for (const [map, most] of [[this.targets, 2048], [this.events, 256]] as Array<[Map<unknown, unknown>, number]>) {
      while (map.size > most) map.delete(map.keys().next().value);
    }
  }

  async send(d: ChannelDelivery, context: DispatchContext, format: WebhookFormat): Promise<ChannelAttempt> {
    const id = targetIdOf(d.recipientId);
    const target = id === null ? undefined : (this.targets.get(id) ?? (await this.store.sendable([id])).get(id));
    // Removed or disabled since the delivery was checked (Readers; TargetAudience says the same there): never sent, CANCELLED with the reason.
    if (!target) return { sent: false, cancelled: 'the notification target was removed' };
    if (!target.enabled) return this.disabled(target);
    const wait = await this.pacing.take(target.id);
    if (wait && 'disabled' in wait) {
      // Disabled by another process (a 404/410) since the batch was loaded: the same, and the posts queued behind this one too.
      target.enabled = false;
      target.disabledReason = wait.disabled;
      return this.disabled(target);
    }
    if (wait) {
      const until = new Date(wait.waitUntil).toISOString();
      const description = wait.busy ? `waiting: a post to ${target.host} is under way; this one follows` : `waiting: ${target.host} is paced; next post after ${until}`;
      return { sent: false, failure: { scope: 'channel', slowDown: true, description } };
    }
    let answer;
    let content: PostContent;
    try {
      content = await this.content(d, context);
    } catch (error) {
      await this.pacing.done(target.id, 0);
      return { sent: false, failure: { scope: 'message', transient: true, reply: null, description: `could not write the message: ${(error as Error).message}`, via: target.host } };
    }
    let meaning: AnswerMeaning;
    try {
      const request = format.write(content, target, this.clock.now());
      answer = await this.http.post(target.url, request.body, request.headers);
      meaning = classifyAnswer(answer, target.host, this.clock.now());
      // A 429's (or 503's) Retry-After is recorded while the turn is still this post's: no other worker or process posts in between.
      if (meaning.outcome === 'slow-down') await this.pacing.slowDown(target.id, meaning.untilMs);
    } finally {
      await this.pacing.done(target.id, format.intervalMs);
    }
    const sendMs = answer.ms;
    switch (meaning.outcome) {
      case 'sent':
        return { sent: true, reference: null, reply: meaning.reply, sendMs };
      case 'slow-down': {
        const description = `waiting: ${target.host} asked to slow down (${meaning.reply}); next post after ${new Date(meaning.untilMs).toISOString()}, no attempt spent`;
        return { sent: false, failure: { scope: 'channel', slowDown: true, description }, sendMs };
      }
      case 'gone':
        target.enabled = false;
        target.disabledReason = disabledReasonOf(answer.answered ? answer.status : 0); // what the posts queued behind this one are CANCELLED with
        await this.disabler.disable(target, answer.answered ? answer.status : 0, content.message.application.name);
        return { sent: false, failure: { scope: 'recipient', transient: false, reply: meaning.reply, description: meaning.description, via: target.host }, sendMs };
      case 'refused':
        return { sent: false, failure: { scope: 'recipient', transient: false, reply: null, description: meaning.description, via: target.host }, sendMs };
      default:
        return { sent: false, failure: { scope: 'message', transient: meaning.outcome === 'transient', reply: meaning.reply, description: meaning.description, via: target.host }, sendMs };
    }
  }

  private disabled(target: SendableTarget): ChannelAttempt {
    return { sent: false, cancelled: `the notification target is disabled (${target.disabledReason ?? 'disabled'})` };
  }

  /** The delivery's message, written for its target: one event, a digest, or the cap's summary. */
  private async content(d: ChannelDelivery, context: DispatchContext): Promise<PostContent> {
    const reader: ChatReader = { locale: d.recipientLocale, timeZone: d.recipientTimeZone };
    if (d.kind === 'EVENT') {
      const event = this.events.get(d.eventId) ?? (await this.load(d.eventId, context));
      return { kind: 'EVENT', deliveryId: d.id, events: [event], message: await this.writer.event(event, reader) };
    }
    // Oldest first, as the signed webhook's docs say (the messages list them newest first).
    const events = (await context.eventsOf(d.id)).map((payload) => JSON.parse(payload) as NotifiedEvent).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    if (d.kind === 'DIGEST') return { kind: 'DIGEST', deliveryId: d.id, events, message: await this.writer.digest(events, reader) };
    const window = await context.windowOf(d.id);
    return { kind: 'SUMMARY', deliveryId: d.id, events, window, message: await this.writer.summary(events, window, reader) };
  }

  private async load(eventId: string, context: DispatchContext): Promise<NotifiedEvent> {
    const payload = (await context.payloads([eventId])).get(eventId);
    if (payload === undefined) throw new Error(`event ${eventId} is not stored`);
    const event = JSON.parse(payload) as NotifiedEvent;
    this.events.set(eventId, event);
    return event;
  }
}
