import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { SubscriptionStatus } from './subscribed-address.entity';

registerEnumType(SubscriptionStatus, {
  name: 'SubscriptionStatus',
  description: 'Where a subscribed address is',
  valuesMap: {
    PENDING: { description: 'Waiting for its confirmation link to be followed: it gets nothing else until then' },
    ACTIVE: { description: 'Confirmed (or subscribed by an ADMIN without confirmation): it receives its types' },
    UNSUBSCRIBED: { description: 'Unsubscribed (unsubscribeAddress, its mails\' one-click unsubscribe or preferences page)' },
  },
});

@ObjectType('AddressSubscription', { description: "An address that is not a console user, subscribed to one application's events" })
export class AddressSubscriptionModel {
  @Field(() => ID, { description: 'The subscription' }) id: string;
  @Field({ description: 'Its deliveries\' recipient id (`subscriber <id>`), for deliveries(filter: { recipientId })' }) recipientId: string;
  @Field(() => ID, { description: 'The application' }) applicationId: string;
  @Field({ description: 'The address' }) address: string;
  @Field(() => [NotificationType], { description: 'The event types it gets' }) types: NotificationType[];
  @Field(() => NotificationFrequency, { description: 'How often' }) frequency: NotificationFrequency;
  @Field(() => Int, { nullable: true, description: "The hour (0–23) of its DIGEST_DAILY mail, in the address's time zone (its timeZone, else the admin's default, else UTC)" }) digestHour: number | null;
  @Field(() => String, { nullable: true, description: "Its mails' language (null: the admin's default)" }) language: string | null;
  @Field(() => String, { nullable: true, description: "Its mails' time zone (null: the admin's default)" }) timeZone: string | null;
  @Field(() => SubscriptionStatus, { description: 'Where it is' }) status: SubscriptionStatus;
  @Field({ description: 'When it was first subscribed' }) createdAt: Date;
  @Field({ description: 'Who first subscribed it (console id)' }) createdBy: string;
  @Field(() => Date, { nullable: true, description: 'When the last confirmation mail was sent' }) confirmationSentAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was confirmed (or subscribed by an ADMIN without confirmation)' }) confirmedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it unsubscribed' }) unsubscribedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'subscribeAddress only: why its confirmation mail could not be sent just now (subscribe it again to resend)' })
  confirmationError: string | null;
}
