import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { NotReceivingReason } from '../../users/profile/effective-preference.model';
import { DeliveryStatus } from '../entities/delivery.entity';

/** What became of an event for one person: the answer to "why didn't I get a mail?". */
export enum AudienceOutcome {
  MAILED = 'MAILED',
  IN_DIGEST = 'IN_DIGEST',
  DIGEST_PENDING = 'DIGEST_PENDING',
  IN_CAP_SUMMARY = 'IN_CAP_SUMMARY',
  CAP_SUMMARY_PENDING = 'CAP_SUMMARY_PENDING',
  QUIET_HOURS_PENDING = 'QUIET_HOURS_PENDING',
  CANCELLED = 'CANCELLED',
  FIRST_AND_FIXED_SKIPPED = 'FIRST_AND_FIXED_SKIPPED',
  NOT_RECEIVING = 'NOT_RECEIVING',
  NOT_PLANNED = 'NOT_PLANNED',
}
registerEnumType(AudienceOutcome, {
  name: 'AudienceOutcome',
  description: 'What became of an event for one person',
  valuesMap: {
    MAILED: { description: 'A mail about this event (see deliveryId and deliveryStatus)' },
    IN_DIGEST: { description: 'Listed in a digest mail with other events (see deliveryId and deliveryStatus)' },
    DIGEST_PENDING: { description: "Waiting for the person's digest, which leaves at digestWindowEnd" },
    IN_CAP_SUMMARY: {
      description: "Folded by the mail cap (the person had MAIL_CAP_COUNT mails in their cap window) and listed in that window's summary mail (see deliveryId and deliveryStatus)",
    },
    CAP_SUMMARY_PENDING: {
      description: "Folded by the mail cap (the person had MAIL_CAP_COUNT mails in their cap window): waiting for the window's summary mail, which leaves at digestWindowEnd",
    },
    QUIET_HOURS_PENDING: {
      description: "Held by the person's quiet hours: leaves when they end (digestWindowEnd), with whatever else they held, in one mail",
    },
    CANCELLED: {
      description:
        'Planned, but not sent: when the mail was to go (or its digest or cap summary closed) the person no longer received it — no longer a manager, notifications or the type switched off, no address; detail says which (see deliveryId)',
    },
    FIRST_AND_FIXED_SKIPPED: { description: 'No mail: the job was already failing, and the person asked for the first failure and the fix only (FIRST_AND_FIXED)' },
    NOT_RECEIVING: { description: 'No mail: the person does not receive this type about this application (see reason)' },
    NOT_PLANNED: {
      description: 'No mail, though the person receives this type now: they became a manager, got an address or changed their settings after the event',
    },
  },
});

@ObjectType('EventAudienceMember', { description: 'A person who manages the application or was mailed about the event, and what the event became for them' })
export class EventAudienceMemberModel {
  @Field(() => ID, { description: "The recipient's id: a person's console id, or another audience source's `<source> <id>` (e.g. `subscriber 12`, a subscribed address)" }) userId: string;
  @Field(() => String, { nullable: true, description: 'Their name' }) displayName: string | null;
  @Field(() => String, { nullable: true, description: 'Where their mail went (the address when it was planned), or their address now' }) email: string | null;
  @Field(() => AudienceOutcome, { description: 'What became of the event for them' }) outcome: AudienceOutcome;
  @Field(() => NotReceivingReason, { nullable: true, description: 'Why they do not receive this type (NOT_RECEIVING only)' }) reason: NotReceivingReason | null;
  @Field(() => NotificationFrequency, { nullable: true, description: 'How often they want this type about this application now (null when they no longer manage it)' })
  frequency: NotificationFrequency | null;
  @Field(() => ID, { nullable: true, description: 'The mail that carries the event (MAILED, IN_DIGEST, IN_CAP_SUMMARY) or was cancelled (CANCELLED), for deliveries and retryDelivery' }) deliveryId: string | null;
  @Field(() => DeliveryStatus, { nullable: true, description: 'Where that mail is' }) deliveryStatus: DeliveryStatus | null;
  @Field(() => Date, { nullable: true, description: 'When the digest or cap summary that will list the event leaves (DIGEST_PENDING, CAP_SUMMARY_PENDING)' }) digestWindowEnd: Date | null;
  @Field({ description: 'The same in a sentence, for people' }) detail: string;
}
