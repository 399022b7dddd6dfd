import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailTransportsModule } from '../../email/transports/mail-transports.module';
import { SettingsModule } from '../../settings/settings.module';
import { UsersModule } from '../../users/users.module';
import { ConfirmationMail } from './confirmation-mail';
import { ConfirmationPageController } from './confirmation-page.controller';
import { SubscribedAddressEntity, SubscribedAddressTypeEntity } from './subscribed-address.entity';
import { SubscribedAddressesResolver } from './subscribed-addresses.resolver';
import { SubscribedAddressesService } from './subscribed-addresses.service';
import { SubscribedAddressesSource } from './subscribed-addresses.source';

/**
 * Addresses that are not console users (team lists), subscribed to an
 * application's events: an audience source (`subscriber <id>`), its GraphQL API
 * (subscribeAddress, unsubscribeAddress, applicationSubscribers) and the page its
 * confirmation link opens. The confirmation mail goes through the mail transport in use.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SubscribedAddressEntity, SubscribedAddressTypeEntity]), UsersModule, SettingsModule, MailTransportsModule],
  controllers: [ConfirmationPageController],
  providers: [SubscribedAddressesSource, SubscribedAddressesService, SubscribedAddressesResolver, ConfirmationMail],
})
export class SubscribedAddressesModule {}
