import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type DeliveryChannel, DeliveryChannelProvider } from './delivery-channel.port';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The delivery channels of this application: every provider decorated with
 * `@DeliveryChannelProvider()`, whichever module registers it. Start-up stops
 * when there is none, when two share a name or when a name is not one
 * `deliveries.channel` can hold.
 */
@Injectable()
export class DeliveryChannels implements OnModuleInit {
  private found?: { all: readonly DeliveryChannel[]; byName: ReadonlyMap<string, DeliveryChannel> };

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.discover();
  }

  /** Every channel, in the order their modules were registered. */
  get all(): readonly DeliveryChannel[] {
    return this.discover().all;
  }

  /** The channel a delivery names; undefined for a name no module registers (any more). */
  get(name: string): DeliveryChannel | undefined {
    return this.discover().byName.get(name);
  }

  private discover(): { all: readonly DeliveryChannel[]; byName: ReadonlyMap<string, DeliveryChannel> } {
    if (this.found) return this.found;
    const all = this.discovery
      .getProviders({ metadataKey: DeliveryChannelProvider.KEY })
      .map((wrapper) => wrapper.instance as DeliveryChannel | undefined)
      .filter((channel): channel is DeliveryChannel => !!channel);
    if (!all.length) throw new Error('No delivery channel is registered: import a channel module (EmailModule, src/email) into the application');
    const byName = new Map<string, DeliveryChannel>();
    for (const channel of all) {
      if (!NAME.test(channel.name)) throw new Error(`Delivery channel ${channel.constructor.name} is named "${channel.name}": a name is lowercase letters, digits and dashes, at most 32`);
      const other = byName.get(channel.name);
      if (other) throw new Error(`Two delivery channels are named "${channel.name}": ${other.constructor.name} and ${channel.constructor.name} (a channel module imported twice?)`);
      byName.set(channel.name, channel);
    }
    this.found = { all, byName };
    return this.found;
  }
}
