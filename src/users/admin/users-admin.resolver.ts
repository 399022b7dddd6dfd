import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { Clock } from '../../clock/clock';
import { ConnectionType } from '../../graphql/pagination';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { SearchPageArgs } from '../search-page.args';
import { RecipientsPreviewArgs } from './recipients-preview.args';
import { UpdateUserInput } from './update-user.input';
import { RecipientModel } from './recipient.model';
import { UserModel } from '../user.model';
import { MAIL_CAP_STATE, type MailCapState } from '../frequency/mail-cap-state';
import { timingOf } from '../frequency/recipient-timing';
import { RecipientsService } from '../recipients/recipients.service';
import { UsersService } from '../users.service';

export const UserConnection = ConnectionType(UserModel, 'User');

/** What admins do with people. */
@Resolver()
@Roles(Role.ADMIN)
export class UsersAdminResolver {
  constructor(
    private readonly users: UsersService,
    private readonly recipients: RecipientsService,
    private readonly clock: Clock,
    @Inject(MAIL_CAP_STATE) private readonly cap: MailCapState,
    private readonly mailDefaults: MailDefaultsService,
  ) {}

  @Query(() => UserConnection, { name: 'users', description: 'People, by id; search matches id, name or email' })
  listUsers(@Args() { first, after, search }: SearchPageArgs) {
    return this.users.list(first, after, search);
  }

  @Mutation(() => UserModel, { description: "Changes another person's profile" })
  updateUser(@Args('input', { description: 'The person and the fields to change' }) input: UpdateUserInput, @CurrentPrincipal() principal: Principal): Promise<UserModel> {
    const { userId, ...fields } = input;
    return this.users.updateProfile(userId, fields, principal.sub);
  }

  @Query(() => [RecipientModel], { description: 'Who would receive an event of this type about this application, now, and when' })
  async recipientsPreview(@Args() { eventType, applicationId }: RecipientsPreviewArgs): Promise<RecipientModel[]> {
    const recipients = await this.recipients.recipientsFor(applicationId, eventType);
    const now = this.clock.now();
    const { timeZone } = await this.mailDefaults.get();
    const held = await this.cap.heldBack(recipients.map((r) => r.externalId));
    return recipients.map((r) => {
      const { timing, when, window, capSummaryAt } = timingOf(r, now, timeZone, held.get(r.externalId));
      return {
        userId: r.externalId, email: r.email, displayName: r.displayName, locale: r.locale, timeZone: r.timeZone,
        frequency: r.frequency, rule: r.rule, timing, when, digestWindowStart: window?.start ?? null, digestWindowEnd: window?.end ?? null, capSummaryAt,
      };
    });
  }
}
