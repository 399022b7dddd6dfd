import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { NotificationType } from '../../event-types/notification-type';
import { ExternalId } from '../external-id';
import { NotificationFrequency } from '../frequency/notification-frequency';

@InputType({ description: 'One choice: an event type on or off, or how often, everywhere or for one application' })
export class SetNotificationPreferenceInput {
  @Field(() => NotificationType, { description: 'The kind of event' })
  @IsEnum(NotificationType)
  eventType: NotificationType;

  @Field(() => ID, { nullable: true, description: 'Only for this application; absent means every application' })
  @IsOptional() @ExternalId()
  applicationId?: string;

  @Field(() => Boolean, { nullable: true, description: 'On or off; null forgets the choice (back to the default or the global choice)' })
  @IsOptional() @IsBoolean()
  enabled: boolean | null;

  @Field(() => NotificationFrequency, { nullable: true, description: 'How often (instead of enabled: NEVER is off, the others on); absent with enabled true means IMMEDIATELY' })
  @IsOptional() @IsEnum(NotificationFrequency)
  frequency?: NotificationFrequency | null;

  @Field(() => Int, { nullable: true, description: "The hour (0–23) a DIGEST_DAILY mail leaves, in the person's time zone (their timeZone, else the admin's default, else UTC); absent means 8" })
  @IsOptional() @IsInt() @Min(0) @Max(23)
  digestHour?: number | null;
}
