import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DeliveryChannels } from './delivery-channels';

/** Finds the delivery channels the application's modules register (src/channels/delivery-channel.port.ts). */
@Module({
  imports: [DiscoveryModule],
  providers: [DeliveryChannels],
  exports: [DeliveryChannels],
})
export class ChannelsModule {}
