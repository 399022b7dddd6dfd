import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { AddressSubscriptionModel } from './address-subscription.model';
import { ApplicationSubscribersArgs } from './application-subscribers.args';
import { SubscribeAddressInput, UnsubscribeAddressInput } from './subscribe-address.input';
import { SubscribedAddressesService } from './subscribed-addresses.service';

/** Addresses that are not console users, subscribed to an application: an ADMIN, or a MANAGE member of it. */
@Resolver(() => AddressSubscriptionModel)
@Roles(Role.ADMIN, Role.USER)
export class SubscribedAddressesResolver {
  constructor(private readonly subscriptions: SubscribedAddressesService) {}

  @Query(() => [AddressSubscriptionModel], { description: "The application's subscribed addresses, in the order they were first subscribed" })
  applicationSubscribers(@Args() { applicationId }: ApplicationSubscribersArgs, @CurrentPrincipal() principal: Principal): Promise<AddressSubscriptionModel[]> {
    return this.subscriptions.list(applicationId, principal);
  }

  @Mutation(() => AddressSubscriptionModel, {
    description: 'Subscribes an address to the application\'s events; it gets a confirmation mail and nothing else until its link is followed (an ADMIN may skip that: audit-logged)',
  })
  subscribeAddress(@Args('input', { description: 'The address, its application, types and frequency' }) input: SubscribeAddressInput, @CurrentPrincipal() principal: Principal): Promise<AddressSubscriptionModel> {
    return this.subscriptions.subscribe(input, principal);
  }

  @Mutation(() => AddressSubscriptionModel, { description: 'Unsubscribes an address: it receives nothing more, and what waits for it is cancelled when due' })
  unsubscribeAddress(@Args('input', { description: 'The subscription' }) input: UnsubscribeAddressInput, @CurrentPrincipal() principal: Principal): Promise<AddressSubscriptionModel> {
    return this.subscriptions.unsubscribe(input.id, principal);
  }
}
