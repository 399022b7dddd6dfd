import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { isSingleLineText } from '@herald/contracts';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { DeliveriesService } from '../../notifications/delivery-log/deliveries.service';
import { DeliveryModel } from '../../notifications/delivery-log/delivery.model';
import { JobEventEntity } from '../entities/job-event.entity';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { JobEventModel } from './job-event.model';
import { PublishJobEventInput, PublishJobEventResult } from './publish-job-event.input';

/** The input as the wire format has it: plain objects and arrays, and no nulls for absent optional fields. */
function toWireFormat(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  if (Array.isArray(input)) return input.map(toWireFormat);
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== null) plain[key] = toWireFormat(value);
  return plain;
}

@Resolver(() => JobEventModel)
export class JobEventsResolver {
  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly deliveries: DeliveriesService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Mutation(() => PublishJobEventResult, { description: 'Hands a job event to Herald; mails are planned before it answers' })
  @Roles(Role.SERVICE, Role.ADMIN)
  async publishJobEvent(
    // Typed as a plain object so that the API's validation pipe passes it through: the wire
    // format's own parser (libs/contracts) validates it, naming each field, in ingest().
    @Args('input', { type: () => PublishJobEventInput, description: 'The event; publishing an id again returns duplicate: true and sends nothing' }) input: object,
  ): Promise<PublishJobEventResult> {
    try {
      return await this.ingestion.ingest(toWireFormat(input), 'graphql');
    } catch (error) {
      if (error instanceof InvalidJobEventError) throw new BadUserInputError(error.problems);
      throw error;
    }
  }

  @Query(() => JobEventModel, { nullable: true, description: 'An event Herald received, and its deliveries' })
  @Roles(Role.ADMIN)
  async event(@Args('id', { type: () => ID, description: "The event's id, as published" }) id: string): Promise<JobEventModel | null> {
    // Event ids are at most 128 characters without white space or controls (the wire format).
    if (id.length > 128 || !isSingleLineText(id) || /\s/.test(id)) throw BadUserInputError.field('id', 'must be an event id: at most 128 characters, no white space or control characters');
    const row = await this.dataSource.getRepository(JobEventEntity).findOneBy({ id });
    return row ? JobEventModel.from(row) : null;
  }

  @ResolveField('deliveries', () => [DeliveryModel], { description: 'The mails planned for this event, one per recipient, with what became of each' })
  eventDeliveries(@Parent() event: JobEventModel): Promise<DeliveryModel[]> {
    return this.deliveries.forEvent(event.id);
  }
}
