import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsEnum, IsInt, IsLocale, IsOptional, Max, Min } from 'class-validator';
import { SingleLineText } from '@herald/contracts';
import { EmailAddress } from '@herald/contracts/address-rules';
import { NotificationType } from '../../event-types/notification-type';
import { IsIanaTimeZone } from '../../i18n/validators';
import { ExternalId } from '../../users/external-id';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';

@InputType({ description: "An address that is not a console user (a team list) to receive one application's events" })
export class SubscribeAddressInput {
  @Field(() => ID, { description: 'The application' })
  @ExternalId()
  applicationId: string;

  @Field({ description: 'One email address, addr@host (no name, no second address); subscribing it again changes its types and frequency' })
  @EmailAddress()
  address: string;

  @Field(() => [NotificationType], { description: 'The event types it gets' })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(32) @IsEnum(NotificationType, { each: true })
  types: NotificationType[];

  @Field(() => NotificationFrequency, { defaultValue: NotificationFrequency.IMMEDIATELY, description: 'How often (not NEVER: unsubscribeAddress)' })
  @IsEnum(NotificationFrequency)
  frequency: NotificationFrequency = NotificationFrequency.IMMEDIATELY;

  @Field(() => Int, { nullable: true, description: "The hour (0–23) of a DIGEST_DAILY mail, in the address's time zone (its timeZone, else the admin's default, else UTC); absent means 8" })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;

  @Field(() => String, { nullable: true, description: "BCP 47 language tag of its mails, e.g. en or fr-FR; absent: the admin's default" })
  @IsOptional() @SingleLineText({ maxLength: 35 }) @IsLocale({ message: 'must be a language tag such as en or fr-FR' })
  language?: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone of the times in its mails, e.g. Europe/Paris; absent: the admin's default" })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;

  @Field({ defaultValue: false, description: 'ADMIN only: no confirmation mail, it receives at once (recorded in the audit log)' })
  @IsBoolean()
  skipConfirmation: boolean = false;
}

@InputType({ description: 'A subscribed address to unsubscribe' })
export class UnsubscribeAddressInput {
  @Field(() => ID, { description: 'The subscription (AddressSubscription.id)' })
  @ExternalId()
  id: string;
}
