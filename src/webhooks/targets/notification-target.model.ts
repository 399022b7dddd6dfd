import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import type { NotificationTargetEntity } from '../notification-target.entity';
import { TargetKind } from '../target-kind';

/**
 * A notification target as the API shows it. Its URL posts as the team: only its
 * host and that it is set are shown (this type has no field for the URL or the
 * signing key, so neither can be returned by accident).
 */
@ObjectType('NotificationTarget', { description: "A team's Teams or Slack channel, or a signed webhook, that gets an application's notifications" })
export class NotificationTargetModel {
  @Field(() => ID, { description: "The target's id" }) id: string;
  @Field(() => ID, { description: "The application's id in the console" }) applicationId: string;
  @Field(() => TargetKind, { description: 'Teams, Slack or a signed webhook' }) kind: TargetKind;
  @Field({ description: 'What the team calls it ("#billing-alerts")' }) name: string;
  @Field({ description: "The webhook URL's host (the URL itself is a secret and is never shown)" }) host: string;
  @Field({ description: 'Whether a webhook URL is stored (always true: it is required)' }) urlSet: boolean;
  @Field({ description: 'WEBHOOK: whether a signing secret is stored (it is never shown)' }) secretSet: boolean;
  @Field(() => [NotificationType], { description: 'The kinds of event it gets' }) types: NotificationType[];
  @Field(() => NotificationFrequency, { description: 'How often: each event at once, only the first failure and the fix, or a digest' }) frequency: NotificationFrequency;
  @Field(() => Int, { nullable: true, description: "DIGEST_DAILY: the hour (0–23) the digest is posted, in the target's time zone (its timeZone, else the admin's default, else UTC); null: 8" }) digestHour: number | null;
  @Field(() => String, { nullable: true, description: "The language its messages are written in (null: the admin's default)" }) language: string | null;
  @Field(() => String, { nullable: true, description: "The time zone its messages' times are in (null: the admin's default)" }) timeZone: string | null;
  @Field({ description: 'Whether Herald posts to it (false once the webhook answered 404 or 410: it was deleted)' }) enabled: boolean;
  @Field(() => String, { nullable: true, description: 'Why it was disabled' }) disabledReason: string | null;
  @Field(() => Date, { nullable: true, description: 'When it was disabled' }) disabledAt: Date | null;
  @Field({ description: 'When it was added' }) createdAt: Date;
  @Field({ description: 'Who added it (their console id)' }) createdBy: string;

  static from(row: NotificationTargetEntity): NotificationTargetModel {
    return Object.assign(new NotificationTargetModel(), {
      id: String(row.id),
      applicationId: row.applicationId,
      kind: row.kind,
      name: row.name,
      host: row.host,
      urlSet: !!row.encryptedUrl,
      secretSet: !!row.encryptedSecret,
      types: JSON.parse(row.types) as NotificationType[],
      frequency: row.frequency as NotificationFrequency,
      digestHour: row.digestHour,
      language: row.language,
      timeZone: row.timeZone,
      enabled: !!row.enabled,
      disabledReason: row.disabledReason,
      disabledAt: row.disabledAt,
      createdAt: row.createdAt,
      createdBy: row.createdBy,
    });
  }
}
