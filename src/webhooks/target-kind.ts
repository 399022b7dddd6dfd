import { registerEnumType } from '@nestjs/graphql';

/** What a notification target is: which webhook it posts to, and so which channel carries its messages. */
export enum TargetKind {
  /** A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"): an Adaptive Card. */
  TEAMS = 'TEAMS',
  /** A Slack incoming webhook: Block Kit blocks. */
  SLACK = 'SLACK',
  /** Any HTTPS endpoint: the events as JSON, signed with HMAC-SHA256 (docs/wire-format.md). */
  WEBHOOK = 'WEBHOOK',
}
registerEnumType(TargetKind, {
  name: 'NotificationTargetKind',
  description: 'Where a notification target posts, and in what form',
  valuesMap: {
    TEAMS: { description: 'A Microsoft Teams Workflows webhook: each message an Adaptive Card' },
    SLACK: { description: 'A Slack incoming webhook: each message Block Kit blocks' },
    WEBHOOK: { description: 'Any HTTPS endpoint: the events as JSON, signed (X-Herald-Signature, docs/wire-format.md)' },
  },
});

/** The delivery channel (`deliveries.channel`) of each kind of target. */
export const CHANNEL_OF: Readonly<Record<TargetKind, string>> = { TEAMS: 'teams', SLACK: 'slack', WEBHOOK: 'webhook' };
