import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { JobEventType } from '@herald/contracts';
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

  static from(e: JobEventEntity): JobEventModel {
    return Object.assign(new JobEventModel(), {
      id: e.id,
      type: e.type as JobEventType,
      schemaVersion: e.schemaVersion,
      application: { id: e.applicationId, name: e.applicationName },
      occurredAt: e.occurredAt,
      receivedAt: e.receivedAt,
      source: e.source,
      recipients: e.recipients,
    });
  }
}
