import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { JobEventType } from '../../../libs/contracts/src';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';

@ObjectType('Delivery', { description: 'One mail to one person about one or more events, and what became of it' })
export class DeliveryModel {
  @Field(() => ID) id: string;
  @Field(() => ID, { description: 'The event it is about (the first, for a mail about several)' }) eventId: string;
  @Field(() => [ID], { description: 'Every event it is about, in order' }) eventIds: string[];
  @Field(() => JobEventType) eventType: JobEventType;
  @Field(() => ID) applicationId: string;
  @Field(() => ID) recipientId: string;
  @Field() recipientEmail: string;
  @Field(() => DeliveryStatus) status: DeliveryStatus;
  @Field(() => Int) attempts: number;
  @Field(() => Date, { nullable: true, description: 'When it is (or was) tried next, for PENDING and RETRY' }) nextAttemptAt: Date | null;
  @Field(() => String, { nullable: true, description: "The relay's last reply, e.g. 250 2.0.0 OK or 550 5.1.1 unknown user" }) lastReply: string | null;
  @Field(() => String, { nullable: true, description: 'The last error, when it was not a reply of the relay' }) lastError: string | null;
  @Field(() => String, { nullable: true }) messageId: string | null;
  @Field(() => Date, { nullable: true }) sentAt: Date | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;

  /** `eventIds`: the delivery's events, in order (from delivery_events). */
  static from(d: DeliveryEntity, eventIds: string[]): DeliveryModel {
    const due = d.status === DeliveryStatus.PENDING || d.status === DeliveryStatus.RETRY;
    return Object.assign(new DeliveryModel(), {
      id: String(d.id),
      eventId: eventIds[0],
      eventIds,
      eventType: d.eventType as JobEventType,
      applicationId: d.applicationId,
      recipientId: d.recipientId,
      recipientEmail: d.recipientEmail,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: due ? d.nextAttemptAt : null,
      lastReply: d.lastReply,
      lastError: d.lastError,
      messageId: d.messageId,
      sentAt: d.sentAt,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    });
  }
}
