import { Field, ID, InputType } from '@nestjs/graphql';
import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsOptional, Matches, ValidateBy } from 'class-validator';
import { NotificationType } from '../../event-types/notification-type';
import { IsIanaTimeZone } from '../../i18n/validators';
import { ExternalId } from '../external-id';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const TIME = 'must be a time HH:MM between 00:00 and 23:59, e.g. 20:00';

/** The end is not the start (as given, or their defaults): quiet hours of no length, or of the whole day, are not quiet hours. */
const DiffersFromStart = (): PropertyDecorator =>
  ValidateBy({
    name: 'differsFromStart',
    validator: {
      validate: (_value: unknown, args) => {
        const o = args?.object as QuietHoursFields;
        return (o.start ?? DEFAULT_START) !== (o.end ?? DEFAULT_END);
      },
      defaultMessage: () => 'must differ from start (for no quiet hours, set enabled to false)',
    },
  });

export const DEFAULT_START = '20:00';
export const DEFAULT_END = '07:00';

/** The fields of quiet hours, the same for a person and for a default. */
@InputType({ isAbstract: true })
export class QuietHoursFields {
  @Field({ description: 'Whether quiet hours hold (false: none, winning over any default)' })
  @IsBoolean()
  enabled: boolean;

  @Field({ nullable: true, description: 'Local time the quiet starts, HH:MM (24-hour); absent: 20:00' })
  @IsOptional() @Matches(HH_MM, { message: TIME })
  start?: string;

  @Field({ nullable: true, description: 'Local time it ends, HH:MM; earlier than start runs over midnight; absent: 07:00. Not equal to start' })
  @IsOptional() @Matches(HH_MM, { message: TIME })
  @DiffersFromStart()
  end?: string;

  @Field({ nullable: true, description: 'Saturday and Sunday quiet all day too; absent: false' })
  @IsOptional() @IsBoolean()
  weekends?: boolean;

  @Field(() => String, { nullable: true, description: "IANA time zone of start and end, e.g. Europe/Paris; absent or null: the person's own time zone" })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;

  @Field(() => [NotificationType], { nullable: true, description: 'Event types whose mails go at once even then; absent: [JOB_FAILED]; [] for none' })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsEnum(NotificationType, { each: true })
  breakThrough?: NotificationType[];
}

@InputType({ description: 'Your quiet hours: when your mails wait, in your time zone' })
export class SetMyQuietHoursInput extends QuietHoursFields {}

@InputType({ description: "Default quiet hours for an application's people, or for everyone (without applicationId), until they choose their own" })
export class UpdateQuietHoursDefaultsInput extends QuietHoursFields {
  @Field(() => ID, { nullable: true, description: "The application; absent: the installation's default" })
  @IsOptional() @ExternalId()
  applicationId?: string;
}
