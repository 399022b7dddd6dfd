import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { NotificationType } from '../../event-types/notification-type';

/** What a mail is: one event's own, a digest, or the summary of what the mail cap held back. */
export enum DeliveryKind {
  EVENT = 'EVENT',
  DIGEST = 'DIGEST',
  CAP_SUMMARY = 'CAP_SUMMARY',
}
registerEnumType(DeliveryKind, {
  name: 'DeliveryKind',
  description: 'What a mail is',
  valuesMap: {
    EVENT: { description: "One event's own mail" },
    DIGEST: { description: 'The digest the person asked for (DIGEST_HOURLY, DIGEST_DAILY): every event of its window' },
    CAP_SUMMARY: {
      description: "The mail cap's summary: the person had MAIL_CAP_COUNT mails in the window, so the window's other events were folded into this one mail at its end (eventIds)",
    },
  },
});

@ObjectType('DeliveryBounce', { description: 'What the bounce report about a delivery said (a DSN or non-delivery report read from the sender\'s mailbox)' })
export class DeliveryBounceModel {
  @Field({ description: 'The enhanced status code of the report (RFC 3463), e.g. 5.1.1 (unknown user) or 4.4.1' }) status: string;
  @Field({ description: 'Whether the failure is permanent (5.x.x, a hard bounce) rather than temporary (4.x.x, a soft one)' }) hard: boolean;
  @Field(() => String, { nullable: true, description: "The report's Diagnostic-Code: what the refusing server said, e.g. 550 5.1.1 <a@example.com>: Recipient address rejected" }) diagnosticCode: string | null;
  @Field(() => String, { nullable: true, description: 'The server that wrote the report (Reporting-MTA, or the generating server of a non-delivery report)' }) reportingMta: string | null;
  @Field({ description: 'When Herald read the report' }) at: Date;
}

@ObjectType('Delivery', { description: 'One message (a mail) to one person on one channel about one or more events, and what became of it' })
export class DeliveryModel {
  @Field(() => ID, { description: "The delivery's id, for retryDelivery" }) id: string;
  @Field(() => ID, { description: 'The event the mail is about (the first, for a mail about several; see the event query)' }) eventId: string;
  @Field(() => [ID], { description: 'Every event the mail is about, in order' }) eventIds: string[];
  @Field(() => DeliveryKind, { description: "What the mail is: an event's own, a digest, or a cap summary (the events the mail cap folded into it)" }) kind: DeliveryKind;
  @Field(() => NotificationType, { description: 'The kind of event the mail is about' }) eventType: NotificationType;
  @Field(() => ID, { description: "The console's id of the application the event is about" }) applicationId: string;
  @Field(() => ID, { description: 'The id of the person the mail is for' }) recipientId: string;
  @Field({ description: "The address it goes to: the person's when it was planned, then the one it was sent to (their address then); for a channel other than email, its address there (address)" }) recipientEmail: string;
  @Field({ description: 'The channel it goes through: email (the only one today)' }) channel: string;
  @Field({ description: "Where it goes on its channel (email: the person's address when it was planned, then the one it was sent to)" }) address: string;
  @Field(() => DeliveryStatus, { description: 'Where the mail is: PENDING, SENDING, SENT, RETRY, WAITING, FAILED, CANCELLED or BOUNCED' }) status: DeliveryStatus;
  @Field(() => Int, { description: 'How many times it was handed to the relay' }) attempts: number;
  @Field(() => Date, { nullable: true, description: 'When it is (or was) tried next, for PENDING and RETRY' }) nextAttemptAt: Date | null;
  @Field(() => String, { nullable: true, description: "The relay's last reply, e.g. 250 2.0.0 OK or 550 5.1.1 unknown user" }) lastReply: string | null;
  @Field(() => String, { nullable: true, description: "The last error, when it was not a reply of the relay; for a SENT delivery, what the log should know of it (written with Herald's default template because an admin's failed for its event)" }) lastError: string | null;
  @Field(() => String, { nullable: true, description: 'The Message-ID header of the mail, once sent' }) messageId: string | null;
  @Field(() => Date, { nullable: true, description: 'When the relay accepted it' }) sentAt: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'What carried it, once sent: for email the way out, primary or standby (the standby relay, while the primary was DOWN), and where (primary: smtp.example.com:587, standby: Microsoft Graph graph.microsoft.com as herald@example.com)',
  })
  sentVia: string | null;
  @Field(() => DeliveryBounceModel, { nullable: true, description: 'What the bounce report said, when the relay accepted the mail and a report came back (status BOUNCED)' }) bounce: DeliveryBounceModel | null;
  @Field({ description: 'When it was planned' }) createdAt: Date;
  @Field({ description: 'When its state last changed' }) updatedAt: Date;

  /** `eventIds`: the delivery's events, in order (from delivery_events). */
  static from(d: DeliveryEntity, eventIds: string[], kind = DeliveryKind.EVENT): DeliveryModel {
    const due = d.status === DeliveryStatus.PENDING || d.status === DeliveryStatus.RETRY;
    return Object.assign(new DeliveryModel(), {
      id: String(d.id),
      eventId: eventIds[0],
      eventIds,
      kind,
      eventType: d.eventType as NotificationType,
      applicationId: d.applicationId,
      recipientId: d.recipientId,
      recipientEmail: d.address,
      channel: d.channel,
      address: d.address,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: due ? d.nextAttemptAt : null,
      lastReply: d.lastReply,
      lastError: d.lastError,
      messageId: d.messageId,
      sentAt: d.sentAt,
      sentVia: d.sentVia ?? null,
      bounce: d.bounceStatus && d.bouncedAt
        ? Object.assign(new DeliveryBounceModel(), { status: d.bounceStatus, hard: d.bounceClass === 'HARD', diagnosticCode: d.bounceDiagnostic, reportingMta: d.bounceReportingMta, at: d.bouncedAt })
        : null,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    });
  }
}
