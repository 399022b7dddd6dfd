import { Injectable } from '@nestjs/common';
import { DeliveryChannelProvider } from '../../channels/delivery-channel.port';
import { TargetSender } from '../sending/target-sender';
import { TargetChannel } from '../target-channel';
import { SIGNED_FORMAT } from './signed-payload';

/** Any HTTPS endpoint: the events as JSON, signed (X-Herald-Signature over the timestamp and the body). */
@DeliveryChannelProvider()
@Injectable()
export class SignedWebhookChannel extends TargetChannel {
  readonly name = SIGNED_FORMAT.channel;
  protected readonly format = SIGNED_FORMAT;

  constructor(sender: TargetSender) {
    super(sender);
  }
}
