import { Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { RelayHealth } from './relay-health';
import { RelayStatusModel } from './relay-status.model';

@Resolver(() => RelayStatusModel)
export class RelayStatusResolver {
  constructor(private readonly health: RelayHealth) {}

  @Query(() => RelayStatusModel, { description: "The relay's health: state, last success and failure, deliveries waiting, pacing" })
  @Roles(Role.ADMIN)
  relayStatus(): Promise<RelayStatusModel> {
    return this.health.status();
  }
}
