import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import { hasRole, type Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { ConnectionType } from '../../graphql/pagination';
import { DeliveriesArgs, RetryDeliveriesArgs, RetryDeliveryInput } from './deliveries.args';
import { DeliveriesService } from './deliveries.service';
import { DeliveryModel } from './delivery.model';

export const DeliveryConnection = ConnectionType(DeliveryModel, 'Delivery');

@Resolver(() => DeliveryModel)
export class DeliveriesResolver {
  constructor(private readonly log: DeliveriesService) {}

  @Query(() => DeliveryConnection, { description: 'The delivery log, newest first: all of it for an ADMIN, their own for a USER' })
  @Roles(Role.ADMIN, Role.USER)
  deliveries(@Args() { filter, first, after }: DeliveriesArgs, @CurrentPrincipal() principal: Principal) {
    const own = hasRole(principal, Role.ADMIN) ? {} : { recipientId: principal.sub };
    return this.log.list({ ...filter, ...own }, first, after);
  }

  @Mutation(() => DeliveryModel, { description: 'Sends a FAILED delivery again (CONFLICT for any other status; a CANCELLED one is final: its person no longer receives it)' })
  @Roles(Role.ADMIN)
  retryDelivery(@Args('input', { description: 'The FAILED delivery to send again' }) input: RetryDeliveryInput): Promise<DeliveryModel> {
    return this.log.retry(input.id);
  }

  @Mutation(() => Int, { description: 'Sends again every FAILED (or RETRY) delivery matching the filter, each keeping its history; answers how many' })
  @Roles(Role.ADMIN)
  retryDeliveries(@Args() { filter }: RetryDeliveriesArgs): Promise<number> {
    return this.log.retryMany(filter);
  }
}
