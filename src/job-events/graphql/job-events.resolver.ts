import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { isSingleLineText } from '../../../libs/contracts/src';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { DeliveriesService } from '../../notifications/delivery-log/deliveries.service';
import { DeliveryModel } from '../../notifications/delivery-log/delivery.model';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { ReceivedEventsService } from '../received-events.service';
import { JobEventModel } from './job-event.model';
import { PublishJobEventInput, PublishJobEventResult } from './publish-job-event.input';

/** The input as the wire format has it: plain objects, and no nulls for absent optional fields. */
function toWireFormat(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== null) plain[key] = toWireFormat(value);
  return plain;
}

@Resolver(() => JobEventModel)
export class JobEventsResolver {
  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly received: ReceivedEventsService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Mutation(() => PublishJobEventResult, { description: 'Hands a job event to Herald; mails are planned before it answers' })
  @Roles(Role.SERVICE, Role.ADMIN)
  async publishJobEvent(
    // Typed as a plain object so that the API's validation pipe passes it through: the wire
    // format's own parser (libs/contracts) validates it, naming each field, in ingest().
    @Args('input', { type: () => PublishJobEventInput }) input: object,
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
  async event(@Args('id', { type: () => ID }) id: string): Promise<JobEventModel | null> {
    // Event ids are at most 128 characters without white space or controls (the wire format).
    if (id.length > 128 || !isSingleLineText(id) || /\s/.test(id)) throw BadUserInputError.field('id', 'must be an event id: at most 128 characters, no white space or control characters');
    return this.received.find(id);
  }

  @ResolveField('deliveries', () => [DeliveryModel])
  eventDeliveries(@Parent() event: JobEventModel): Promise<DeliveryModel[]> {
    return this.deliveries.forEvent(event.id);
  }
}
