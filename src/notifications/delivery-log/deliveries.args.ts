import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsDate, IsEnum, IsIn, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { Identifier, SingleLineText } from '@herald/contracts';
import { PageArgs } from '../../graphql/pagination';
import { DeliveryStatus } from '../entities/delivery.entity';
import { NotificationType } from '../../event-types/notification-type';

@InputType({ description: 'Narrows the delivery log; every field given must match' })
export class DeliveryFilter {
  @Field(() => DeliveryStatus, { nullable: true, description: 'Only deliveries in this state' }) @IsOptional() @IsEnum(DeliveryStatus)
  status?: DeliveryStatus;

  @Field(() => NotificationType, { nullable: true, description: 'Only mails about this kind of event' }) @IsOptional() @IsEnum(NotificationType)
  eventType?: NotificationType;

  @Field(() => ID, { nullable: true, description: "Only mails about this application (the console's id)" }) @IsOptional() @Identifier({ maxLength: 255 })
  applicationId?: string;

  @Field(() => ID, { nullable: true, description: "A recipient's id: a person's, or another audience source's `<source> <id>` such as `subscriber 12` (ADMIN only; a USER sees their own)" })
  @IsOptional() @SingleLineText({ maxLength: 255 })
  @Matches(/^(?:[a-z][a-z0-9-]{0,31} )?\S+$/, { message: 'must be a person\'s id, or "<source> <id>" such as subscriber 12' })
  recipientId?: string;

  @Field(() => Date, { nullable: true, description: 'Created at or after' }) @IsOptional() @IsDate()
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Created before' }) @IsOptional() @IsDate()
  to?: Date;
}

@ArgsType()
export class DeliveriesArgs extends PageArgs {
  @Field(() => DeliveryFilter, { nullable: true, description: 'What to show; everything (you may see) when absent' })
  @IsOptional() @ValidateNested() @Type(() => DeliveryFilter)
  filter?: DeliveryFilter;
}

@InputType({ description: 'The delivery to send again' })
export class RetryDeliveryInput {
  @Field(() => ID, { description: "The delivery's id (Delivery.id)" }) @IsString() @Matches(/^\d{1,15}$/, { message: 'must be a delivery id' })
  id: string;
}

/** The statuses retryDeliveries takes back: FAILED ones get fresh attempts, RETRY ones are made due now. */
export const RETRYABLE = [DeliveryStatus.FAILED, DeliveryStatus.RETRY];

@InputType({ description: 'Which deliveries retryDeliveries sends again; every field given must match' })
export class RetryDeliveriesFilter {
  @Field(() => DeliveryStatus, {
    defaultValue: DeliveryStatus.FAILED,
    description: 'FAILED (the default): sent again with fresh attempts; RETRY: tried now instead of at nextAttemptAt, attempts kept',
  })
  @IsIn(RETRYABLE, { message: 'must be FAILED or RETRY' })
  status: DeliveryStatus = DeliveryStatus.FAILED;

  @Field(() => ID, { nullable: true, description: 'Only mails about this event' }) @IsOptional() @Identifier({ maxLength: 255 })
  eventId?: string;

  @Field(() => NotificationType, { nullable: true, description: 'Only mails about this kind of event' }) @IsOptional() @IsEnum(NotificationType)
  eventType?: NotificationType;

  @Field(() => ID, { nullable: true, description: "Only mails about this application (the console's id)" }) @IsOptional() @Identifier({ maxLength: 255 })
  applicationId?: string;

  @Field(() => Date, { nullable: true, description: 'Created at or after' }) @IsOptional() @IsDate()
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Created before' }) @IsOptional() @IsDate()
  to?: Date;

  @Field(() => String, { nullable: true, description: "Only those whose last relay reply has this code, e.g. 550 (three digits) or 4xx / 5xx" })
  @IsOptional() @Matches(/^[245](\d\d|xx)$/, { message: 'must be a reply code such as 550, or a class such as 4xx' })
  replyCode?: string;
}

@ArgsType()
export class RetryDeliveriesArgs {
  @Field(() => RetryDeliveriesFilter, { description: 'Which deliveries to send again' })
  @ValidateNested() @Type(() => RetryDeliveriesFilter)
  filter: RetryDeliveriesFilter;
}
