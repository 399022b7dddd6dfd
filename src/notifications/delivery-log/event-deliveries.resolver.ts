import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { JobEventModel } from '../../job-events/graphql/job-event.model';
import { DeliveriesService } from './deliveries.service';
import { DeliveryModel } from './delivery.model';

/** An event's deliveries, as a field of the event (job-events knows nothing of deliveries). */
@Resolver(() => JobEventModel)
export class EventDeliveriesResolver {
  constructor(private readonly deliveries: DeliveriesService) {}

  @ResolveField('deliveries', () => [DeliveryModel], { description: 'The mails planned for this event, one per recipient, with what became of each' })
  eventDeliveries(@Parent() event: JobEventModel): Promise<DeliveryModel[]> {
    return this.deliveries.forEvent(event.id);
  }
}
