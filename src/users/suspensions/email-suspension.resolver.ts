import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { UserModel } from '../user.model';
import { AddressSuspensionModel } from './address-suspension.model';
import { AddressSuspensions } from './address-suspensions';

/** A person's own address, suspended or not: shown to them (me) and to admins (users). */
@Resolver(() => UserModel)
export class EmailSuspensionResolver {
  constructor(private readonly suspensions: AddressSuspensions) {}

  @ResolveField(() => AddressSuspensionModel, {
    nullable: true,
    description: "Set while this person's email gets no mail because mail to it bounced (why, and when one mail tries it again); null otherwise. Changing the email ends it",
  })
  async emailSuspension(@Parent() user: UserModel): Promise<AddressSuspensionModel | null> {
    const row = await this.suspensions.of(user.email);
    return row ? AddressSuspensionModel.from(row) : null;
  }
}
