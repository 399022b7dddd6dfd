import { Injectable } from '@nestjs/common';
import { DeliveryChannelProvider } from '../../channels/delivery-channel.port';
import { TargetSender } from '../sending/target-sender';
import { TargetChannel } from '../target-channel';
import { SLACK_FORMAT } from './block-kit';

/** Slack (incoming webhooks): each message Block Kit blocks, about one a second per webhook. */
@DeliveryChannelProvider()
@Injectable()
export class SlackChannel extends TargetChannel {
  readonly name = SLACK_FORMAT.channel;
  protected readonly format = SLACK_FORMAT;

  constructor(sender: TargetSender) {
    super(sender);
  }
}
