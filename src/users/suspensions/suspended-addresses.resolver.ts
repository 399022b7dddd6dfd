import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { NotFoundError } from '../../graphql/graphql-errors';
import { ConnectionType, type Connection } from '../../graphql/pagination';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { SearchPageArgs } from '../search-page.args';
import { AddressSuspensionModel } from './address-suspension.model';
import { AddressSuspensions } from './address-suspensions';
import { LiftAddressSuspensionArgs } from './lift-address-suspension.args';

export const AddressSuspensionConnection = ConnectionType(AddressSuspensionModel, 'AddressSuspension');

/** What admins see and do about addresses suspended after bounces. */
@Resolver()
@Roles(Role.ADMIN)
export class SuspendedAddressesResolver {
  constructor(private readonly suspensions: AddressSuspensions) {}

  @Query(() => AddressSuspensionConnection, { description: 'Addresses that get no mail because mail to them bounced, by address; search matches part of the address' })
  async suspendedAddresses(@Args() { first, after, search }: SearchPageArgs): Promise<Connection<AddressSuspensionModel>> {
    const page = await this.suspensions.list(first, after, search);
    return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: AddressSuspensionModel.from(e.node) })) };
  }

  @Mutation(() => AddressSuspensionModel, { description: 'Ends the suspension of an address: its next mails go out again. Answers the suspension as it was' })
  async liftAddressSuspension(@Args() { address }: LiftAddressSuspensionArgs, @CurrentPrincipal() principal: Principal): Promise<AddressSuspensionModel> {
    const before = await this.suspensions.of(address);
    if (!before) throw new NotFoundError('A suspension of', address);
    await this.suspensions.lift(address, actorOf(principal), 'lifted by an admin');
    return AddressSuspensionModel.from(before);
  }
}
