import { Injectable } from '@nestjs/common';
import { DeliveryChannelProvider } from '../../channels/delivery-channel.port';
import { TargetSender } from '../sending/target-sender';
import { TargetChannel } from '../target-channel';
import { TEAMS_FORMAT } from './adaptive-card';

/** Microsoft Teams (Workflows webhooks): each message an Adaptive Card. */
@DeliveryChannelProvider()
@Injectable()
export class TeamsChannel extends TargetChannel {
  readonly name = TEAMS_FORMAT.channel;
  protected readonly format = TEAMS_FORMAT;

  constructor(sender: TargetSender) {
    super(sender);
  }
}
