import type { Addressee, ChannelAttempt, ChannelDelivery, ChannelHold, DeliveryChannel, DispatchContext } from '../channels/delivery-channel.port';
import type { TargetSender } from './sending/target-sender';
import type { WebhookFormat } from './webhook-format';

/**
 * A delivery channel of notification targets (Teams, Slack, signed webhooks: one
 * subclass each, in its folder, with its format). It reaches no person — its
 * deliveries are planned for the targets, each with its fixed channel and address
 * (the target's host) — and never holds as a whole: a target that must wait (its
 * pace, a 429) makes only its own delivery wait, so one slow webhook never holds
 * back the others or mail.
 */
export abstract class TargetChannel implements DeliveryChannel {
  abstract readonly name: string;
  protected abstract readonly format: WebhookFormat;

  constructor(private readonly sender: TargetSender) {}

  addressOf(_person: Addressee): string | null {
    return null;
  }

  async refresh(): Promise<void> {}

  holding(): ChannelHold | undefined {
    return undefined;
  }

  async check(): Promise<ChannelHold | undefined> {
    return undefined;
  }

  take(batch: readonly ChannelDelivery[], context: DispatchContext, payloads?: ReadonlyMap<string, string>): Promise<void> {
    return this.sender.take(batch, context, payloads);
  }

  send(delivery: ChannelDelivery, context: DispatchContext): Promise<ChannelAttempt> {
    return this.sender.send(delivery, context, this.format);
  }
}
