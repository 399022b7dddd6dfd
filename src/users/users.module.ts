import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SettingsModule } from '../settings/settings.module';
import { ApplicationDefaultEntity } from './application-defaults/application-default.entity';
import { ApplicationDefaultsResolver } from './application-defaults/application-defaults.resolver';
import { ApplicationDefaultsService } from './application-defaults/application-defaults.service';
import { ApplicationsResolver } from './applications/applications.resolver';
import { ApplicationsService } from './applications/applications.service';
import { ApplicationEntity } from './entities/application.entity';
import { MembershipEntity } from './entities/membership.entity';
import { PreferenceEntity } from './entities/preference.entity';
import { UserEntity } from './entities/user.entity';
import { MeResolver } from './profile/me.resolver';
import { PersonInterceptor } from './person.interceptor';
import { RecipientsService } from './recipients/recipients.service';
import { UserFieldsResolver } from './profile/user-fields.resolver';
import { UsersAdminResolver } from './admin/users-admin.resolver';
import { UsersService } from './users.service';
import { AddressSuspensionEntity } from './suspensions/address-suspension.entity';
import { AddressSuspensions } from './suspensions/address-suspensions';
import { EmailSuspensionResolver } from './suspensions/email-suspension.resolver';
import { SuspendedAddressesResolver } from './suspensions/suspended-addresses.resolver';
import { QuietHoursEntity } from './quiet-hours/quiet-hours.entity';
import { QuietHoursResolver } from './quiet-hours/quiet-hours.resolver';
import { QuietHoursService } from './quiet-hours/quiet-hours.service';

/** People, applications, memberships and notification preferences; answers "who receives E about A?"; addresses suspended after bounces (suspensions/). */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, ApplicationEntity, MembershipEntity, PreferenceEntity, AddressSuspensionEntity, QuietHoursEntity, ApplicationDefaultEntity]), SettingsModule], // the admin's default time zone (recipientsPreview's digest windows)
  providers: [
    UsersService,
    ApplicationsService,
    RecipientsService,
    MeResolver,
    UserFieldsResolver,
    UsersAdminResolver,
    ApplicationsResolver,
    ApplicationDefaultsService,
    ApplicationDefaultsResolver,
    AddressSuspensions,
    SuspendedAddressesResolver,
    EmailSuspensionResolver,
    QuietHoursService,
    QuietHoursResolver,
    { provide: APP_INTERCEPTOR, useClass: PersonInterceptor },
  ],
  exports: [RecipientsService, ApplicationsService, UsersService, AddressSuspensions, QuietHoursService],
})
export class UsersModule {}
