import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { SingleLineText } from '@herald/contracts';
import { ArrayMaxSize, ArrayMinSize, IsEnum, IsIn, IsInt, IsOptional, Matches, Max, Min, MinLength } from 'class-validator';
import { NOTIFICATION_TYPES, NotificationType } from '../../event-types/notification-type';
import { IsIanaTimeZone, IsMailLanguage } from '../../i18n/validators';
import { ExternalId } from '../../users/external-id';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { TargetKind } from '../target-kind';

@InputType({ description: 'A target to add to an application: where its notifications are posted, which ones, how often, in what language' })
export class AddNotificationTargetInput {
  @Field(() => ID, { description: "The application's id in the console" })
  @ExternalId()
  applicationId: string;

  @Field(() => TargetKind, { description: 'TEAMS (a Workflows webhook), SLACK (an incoming webhook) or WEBHOOK (any endpoint, signed)' })
  @IsEnum(TargetKind)
  kind: TargetKind;

  @Field({ description: 'What the team calls it ("#billing-alerts"): shown in lists and in the mail if it is disabled' })
  @SingleLineText({ maxLength: 255 }) @Matches(/\S/, { message: 'must not be blank' })
  name: string;

  @Field({ description: 'The webhook URL (https, on a host an admin allows: WEBHOOK_ALLOWED_HOSTS). A secret: stored encrypted, never shown again' })
  @SingleLineText({ maxLength: 2048 })
  url: string;

  @Field(() => String, { nullable: true, description: 'WEBHOOK only, required there: the key of the X-Herald-Signature HMAC (16 to 255 characters; docs/wire-format.md). Stored encrypted, never shown again' })
  @IsOptional() @SingleLineText({ maxLength: 255 }) @MinLength(16)
  secret?: string | null;

  @Field(() => [NotificationType], { description: 'The kinds of event it gets (at least one)' })
  @ArrayMinSize(1) @ArrayMaxSize(NOTIFICATION_TYPES.length) @IsEnum(NotificationType, { each: true })
  types: NotificationType[];

  @Field(() => NotificationFrequency, { defaultValue: NotificationFrequency.IMMEDIATELY, description: 'How often: IMMEDIATELY (default), FIRST_AND_FIXED, DIGEST_HOURLY or DIGEST_DAILY' })
  @IsIn([NotificationFrequency.IMMEDIATELY, NotificationFrequency.FIRST_AND_FIXED, NotificationFrequency.DIGEST_HOURLY, NotificationFrequency.DIGEST_DAILY], { message: 'must be IMMEDIATELY, FIRST_AND_FIXED, DIGEST_HOURLY or DIGEST_DAILY' })
  frequency: NotificationFrequency = NotificationFrequency.IMMEDIATELY;

  @Field(() => Int, { nullable: true, description: "DIGEST_DAILY: the hour (0–23) its digest is posted, in the target's time zone (its timeZone, else the admin's default, else UTC); absent means 8" })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;

  @Field(() => String, { nullable: true, description: "The language of its messages (en, fr, fr-CA…); absent: the admin's default" })
  @IsOptional() @IsMailLanguage()
  language?: string | null;

  @Field(() => String, { nullable: true, description: "The time zone of its messages' times (Europe/Paris); absent: the admin's default" })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;
}
