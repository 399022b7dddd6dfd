import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { SingleLineText } from '@herald/contracts';
import { ArrayMaxSize, ArrayMinSize, Equals, IsEnum, IsIn, IsInt, IsOptional, Matches, Max, Min, MinLength } from 'class-validator';
import { NOTIFICATION_TYPES, NotificationType } from '../../event-types/notification-type';
import { IsIanaTimeZone, IsMailLanguage } from '../../i18n/validators';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';

@InputType({ description: 'What to change of a notification target: the fields given, the others kept (its kind and application never change)' })
export class UpdateNotificationTargetInput {
  @Field(() => ID, { description: "The target's id (NotificationTarget.id)" })
  @Matches(/^\d{1,15}$/, { message: 'must be the id of a notification target' })
  id: string;

  @Field(() => String, { nullable: true, description: 'What the team calls it' })
  @IsOptional() @SingleLineText({ maxLength: 255 }) @Matches(/\S/, { message: 'must not be blank' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A new webhook URL, checked as on add (https, an allowed host, no internal address); stored encrypted, never shown again' })
  @IsOptional() @SingleLineText({ maxLength: 2048 })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'WEBHOOK only: a new signing key (16 to 255 characters); stored encrypted, never shown again' })
  @IsOptional() @SingleLineText({ maxLength: 255 }) @MinLength(16)
  secret?: string | null;

  @Field(() => [NotificationType], { nullable: true, description: 'The kinds of event it gets (at least one)' })
  @IsOptional() @ArrayMinSize(1) @ArrayMaxSize(NOTIFICATION_TYPES.length) @IsEnum(NotificationType, { each: true })
  types?: NotificationType[] | null;

  @Field(() => NotificationFrequency, { nullable: true, description: 'IMMEDIATELY, FIRST_AND_FIXED, DIGEST_HOURLY or DIGEST_DAILY' })
  @IsOptional()
  @IsIn([NotificationFrequency.IMMEDIATELY, NotificationFrequency.FIRST_AND_FIXED, NotificationFrequency.DIGEST_HOURLY, NotificationFrequency.DIGEST_DAILY], { message: 'must be IMMEDIATELY, FIRST_AND_FIXED, DIGEST_HOURLY or DIGEST_DAILY' })
  frequency?: NotificationFrequency | null;

  @Field(() => Int, { nullable: true, description: "DIGEST_DAILY: the hour (0–23) its digest is posted, in the target's time zone (its timeZone, else the admin's default, else UTC)" })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;

  @Field(() => String, { nullable: true, description: 'The language of its messages (en, fr, fr-CA…)' })
  @IsOptional() @IsMailLanguage()
  language?: string | null;

  @Field(() => String, { nullable: true, description: "The time zone of its messages' times (Europe/Paris)" })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: posts to it again after it was disabled (its webhook answered 404 or 410) — give its new url with it, unless the old one works again' })
  @IsOptional() @Equals(true, { message: 'can only be true: a target is disabled by removing it, or by its webhook' })
  enabled?: boolean | null;
}
