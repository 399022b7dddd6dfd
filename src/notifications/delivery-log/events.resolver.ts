import { Args, ID, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { isSingleLineText } from '@herald/contracts';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { JobEventModel } from './job-event.model';
import { ReceivedEventsService } from '../../job-events/received-events.service';
import { DeliveriesService } from './deliveries.service';
import { DeliveryModel } from './delivery.model';
import { EventAudienceMemberModel } from './event-audience.model';
import { EventAudienceService } from './event-audience.service';
import { PlannedEventsService } from './planned-events.service';

/**
 * event(id): an event as Herald received it (job-events' inbox) with what
 * notifications made of it — the event itself, stored once here, and its
 * deliveries. It lives here because notifications may read job-events, never
 * the reverse.
 */
@Resolver(() => JobEventModel)
export class EventsResolver {
  constructor(
    private readonly received: ReceivedEventsService,
    private readonly planned: PlannedEventsService,
    private readonly deliveries: DeliveriesService,
    private readonly audience: EventAudienceService,
  ) {}

  @Query(() => JobEventModel, { nullable: true, description: 'An event Herald received, and its deliveries' })
  @Roles(Role.ADMIN)
  async event(@Args('id', { type: () => ID, description: "The event's id, as published" }) id: string): Promise<JobEventModel | null> {
    // Event ids are at most 128 characters without white space or controls (the wire format).
    if (id.length > 128 || !isSingleLineText(id) || /\s/.test(id)) throw BadUserInputError.field('id', 'must be an event id: at most 128 characters, no white space or control characters');
    const inbox = await this.received.find(id);
    if (!inbox) return null;
    // Recorded in the same transaction as the inbox row: one without the other is a broken database.
    const planned = await this.planned.find(id);
    if (!planned) throw new Error(`event ${id} is in the inbox but its notification is missing`);
    return JobEventModel.from(inbox, planned.event, planned.deliveries);
  }

  @ResolveField('deliveries', () => [DeliveryModel], { description: 'The mails planned for this event, one per recipient, with what became of each' })
  eventDeliveries(@Parent() event: JobEventModel): Promise<DeliveryModel[]> {
    return this.deliveries.forEvent(event.id);
  }

  @ResolveField('audience', () => [EventAudienceMemberModel], {
    description:
      "Why each person did or did not get a mail about the event: everyone it was mailed to and everyone who manages its application now, with what it became for them (mailed, in a digest, digest pending, skipped by FIRST_AND_FIXED, not receiving and why)",
  })
  eventAudience(@Parent() event: JobEventModel): Promise<EventAudienceMemberModel[]> {
    return this.audience.of(event.notified);
  }
}
