import type { ChannelAttempt, ChannelDelivery, DispatchContext } from '../../channels/delivery-channel.port';
import type { Clock } from '../../clock/clock';
import type { TargetDisabler } from '../dead-targets/target-disabler';
import type { ChatMessage, ChatMessageWriter } from '../messages/chat-message';
import type { NotificationTargets, SendableTarget } from '../notification-targets';
import { SIGNED_FORMAT } from '../signed/signed-payload';
import { TargetKind } from '../target-kind';
import type { TargetPacing } from './target-pacing';
import { TargetSender } from './target-sender';
import type { WebhookAnswer, WebhookHttp } from './webhook-http';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const target: SendableTarget = { id: 7, applicationId: 'billing', kind: TargetKind.WEBHOOK, name: 'ops', host: 'hooks.example.com', url: new URL('https://hooks.example.com/h'), secret: 'a-signing-secret-of-some-length', types: [], enabled: true, disabledReason: null };
const message: ChatMessage = { lang: 'en', title: 'Analysis failed', heading: 'Analysis failed', color: '#cf222e', application: { id: 'billing', name: 'Billing' }, facts: [] };
const event = { schemaVersion: 1, id: 'e1', type: 'JOB_FAILED', occurredAt: '2026-12-07T09:59:00Z', application: { id: 'billing', name: 'Billing' } };
const delivery = (id: number): ChannelDelivery =>
  ({ id, recipientId: 'target 7', channel: 'webhook', address: 'hooks.example.com', recipientName: 'ops', recipientLocale: null, recipientTimeZone: null, eventId: 'e1', eventType: 'JOB_FAILED', applicationId: 'billing', kind: 'EVENT', attempts: 0, channelFailures: 0, leaseExpiresAt: NOW + 60_000, createdAt: NOW }) as ChannelDelivery;
const context = { payloads: async () => new Map([['e1', JSON.stringify(event)]]) } as unknown as DispatchContext;

/**
 * TargetPacing's rules, as this process keeps them (its database side takes the same
 * turns): one post at a time per target, none before its next time. `written` runs
 * while a change of the pace is being written (what another worker may do meanwhile).
 */
class PaceModel {
  busy = false;
  nextAt = 0;
  written?: () => Promise<void>;
  async take(): Promise<{ waitUntil: number; busy: boolean } | undefined> {
    if (!this.busy && NOW >= this.nextAt) {
      this.busy = true;
      return undefined;
    }
    return { waitUntil: Math.max(this.nextAt, NOW + 1000), busy: this.busy };
  }
  async done(_id: number, intervalMs: number): Promise<void> {
    this.busy = false;
    this.nextAt = Math.max(this.nextAt, NOW + intervalMs);
    await this.write();
  }
  async slowDown(_id: number, until: number): Promise<void> {
    this.nextAt = Math.max(this.nextAt, until);
    await this.write();
  }
  private async write(): Promise<void> {
    const meanwhile = this.written;
    this.written = undefined;
    await meanwhile?.();
  }
}

describe('TargetSender', () => {
  it("keeps a target's 429 Retry-After from the moment its turn ends: no other post to it slips in before it is recorded", async () => {
    const posts: number[] = [];
    const answers: WebhookAnswer[] = [
      { answered: true, status: 429, retryAfter: '60', body: 'rate limited', ms: 5, reached: ['RESOLVE', 'CONNECT', 'TLS', 'SEND'] },
      { answered: true, status: 200, retryAfter: null, body: 'ok', ms: 5, reached: ['RESOLVE', 'CONNECT', 'TLS', 'SEND'] },
    ];
    const http = { post: async (_url: URL, body: string) => (posts.push(JSON.parse(body).deliveryId), answers.shift()!) } as unknown as WebhookHttp;
    const pacing = new PaceModel();
    const store = { sendable: async () => new Map([[7, { ...target }]]) } as unknown as NotificationTargets;
    const writer = { event: async () => message } as unknown as ChatMessageWriter;
    const clock = { now: () => NOW, date: () => new Date(NOW) } as unknown as Clock;
    const sender = new TargetSender(store, writer, http, pacing as unknown as TargetPacing, {} as TargetDisabler, clock);

    // Another worker sends the next delivery to the same target while the first one's end is being written.
    let second: ChannelAttempt | undefined;
    const first = sender.send(delivery(1), context, SIGNED_FORMAT).then((attempt) => {
      pacing.written = undefined;
      return attempt;
    });
    pacing.written = async () => {
      second = await sender.send(delivery(2), context, SIGNED_FORMAT);
    };
    const attempt = await first;

    expect(attempt).toMatchObject({ sent: false, failure: { scope: 'channel', slowDown: true } });
    expect(second).toMatchObject({ sent: false, failure: { scope: 'channel', slowDown: true } });
    expect(posts).toEqual(['1']); // the second waits for the Retry-After, not posted into the 429
    expect(pacing.nextAt).toBe(NOW + 60_000);
  });

  it('cancels, with the reason, the posts to a target that was removed or met a 404/410 since they were checked: nothing posted, no failure', async () => {
    const posts: string[] = [];
    const http = { post: async (_url: URL, body: string) => (posts.push(JSON.parse(body).deliveryId), { answered: true, status: 410, retryAfter: null, body: 'Gone', ms: 5, reached: ['RESOLVE', 'CONNECT', 'TLS', 'SEND'] }) } as unknown as WebhookHttp;
    const disabled: number[] = [];
    const disabler = { disable: async (t: SendableTarget, status: number) => (disabled.push(status), true) } as unknown as TargetDisabler;
    const writer = { event: async () => message } as unknown as ChatMessageWriter;
    const clock = { now: () => NOW, date: () => new Date(NOW) } as unknown as Clock;
    const store = { sendable: async (ids: number[]) => new Map(ids.includes(7) ? [[7, { ...target }]] : []) } as unknown as NotificationTargets;
    const sender = new TargetSender(store, writer, http, new PaceModel() as unknown as TargetPacing, disabler, clock);
    await sender.take([delivery(1), delivery(2)], context);

    expect(await sender.send(delivery(1), context, SIGNED_FORMAT)).toMatchObject({ sent: false, failure: { scope: 'recipient', transient: false, reply: 'HTTP 410 Gone' } });
    expect(await sender.send(delivery(2), context, SIGNED_FORMAT)).toEqual({ sent: false, cancelled: 'the notification target is disabled (the webhook answered 410: it was deleted)' });
    expect(await sender.send({ ...delivery(3), recipientId: 'target 8' }, context, SIGNED_FORMAT)).toEqual({ sent: false, cancelled: 'the notification target was removed' });
    expect(posts).toEqual(['1']);
    expect(disabled).toEqual([410]);
  });
});
