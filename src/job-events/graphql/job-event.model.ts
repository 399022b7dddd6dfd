import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { type JobEvent, JobEventType } from '../../../libs/contracts/src';
import type { JobEventEntity } from '../entities/job-event.entity';

@ObjectType('EventApplication')
export class EventApplicationModel {
  @Field(() => ID) id: string;
  @Field() name: string;
}

@ObjectType('JobEvent', { description: 'An event Herald received' })
export class JobEventModel {
  @Field(() => ID) id: string;
  @Field(() => JobEventType) type: JobEventType;
  @Field(() => Int) schemaVersion: number;
  @Field(() => EventApplicationModel) application: EventApplicationModel;
  @Field() occurredAt: Date;
  @Field() receivedAt: Date;
  @Field({ description: 'emitter, graphql or broker' }) source: string;
  @Field(() => Int, { description: 'Deliveries planned' }) recipients: number;

  /** From the inbox's row, the event as received and the number of deliveries that refer to it. */
  static from(inbox: JobEventEntity, event: JobEvent, deliveries: number): JobEventModel {
    return Object.assign(new JobEventModel(), {
      id: inbox.id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      application: { id: event.application.id, name: event.application.name },
      occurredAt: new Date(event.occurredAt),
      receivedAt: inbox.receivedAt,
      source: inbox.source,
      recipients: deliveries,
    });
  }
}
