import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';

/** Where quiet hours in effect come from. */
export enum QuietHoursSource {
  USER = 'USER',
  APPLICATION = 'APPLICATION',
  INSTALLATION = 'INSTALLATION',
  NONE = 'NONE',
}
registerEnumType(QuietHoursSource, {
  name: 'QuietHoursSource',
  description: 'Where quiet hours in effect come from: a person\'s own choice wins over their application\'s default, which wins over the installation\'s',
  valuesMap: {
    USER: { description: "The person's own choice (setMyQuietHours)" },
    APPLICATION: { description: "The application's default an ADMIN set (updateQuietHoursDefaults with applicationId)" },
    INSTALLATION: { description: "The installation's default an ADMIN set (updateQuietHoursDefaults without applicationId)" },
    NONE: { description: 'Nobody set any: no quiet hours' },
  },
});

@ObjectType('QuietHours', { description: 'Hours when mails wait (except the types that break through) and leave, folded into one, when they end' })
export class QuietHoursModel {
  @Field({ description: 'Whether quiet hours hold at all (false: chosen none, which also wins over defaults)' }) enabled: boolean;
  @Field({ description: 'Local time the quiet starts, HH:MM (24-hour), e.g. 20:00' }) start: string;
  @Field({ description: 'Local time it ends, HH:MM; earlier than start runs over midnight (20:00–07:00)' }) end: string;
  @Field({ description: 'Saturday and Sunday are quiet all day too' }) weekends: boolean;
  @Field(() => String, { nullable: true, description: "IANA time zone of start and end; null: the person's own time zone (else the admin's default, else UTC)" })
  timeZone: string | null;
  @Field(() => [NotificationType], { description: 'Event types whose mails go at once even in quiet hours (JOB_FAILED unless chosen otherwise)' })
  breakThrough: NotificationType[];
  @Field(() => QuietHoursSource, { description: 'Whose these are' }) source: QuietHoursSource;
}
