import { Field, ID, ObjectType } from '@nestjs/graphql';
import { AuditKind } from './audit-kind';
import type { AuditEntryEntity, AuditFieldChange } from './audit-entry.entity';

@ObjectType('AuditFieldChange', { description: 'One field an audited change touched: its value before and after, or, for a secret, only that it changed' })
export class AuditFieldChangeModel {
  @Field({ description: 'The field, as the API names it (host, password, language, role, memberships[<application id>], …)' }) field: string;
  @Field({ description: 'A secret (a password, a key, a token): it changed, and nothing more is told — before and after are null' }) secret: boolean;
  @Field(() => String, { nullable: true, description: 'Its value before, as text; null when it had none, or for a secret' }) before: string | null;
  @Field(() => String, { nullable: true, description: 'Its value after, as text; null when it has none, or for a secret' }) after: string | null;

  static from(change: AuditFieldChange): AuditFieldChangeModel {
    return 'secret' in change
      ? Object.assign(new AuditFieldChangeModel(), { field: change.field, secret: true, before: null, after: null })
      : Object.assign(new AuditFieldChangeModel(), { field: change.field, secret: false, before: change.before, after: change.after });
  }
}

@ObjectType('AuditEntry', { description: "One change of Herald's configuration or of a person's role: who made it, when, and what changed" })
export class AuditEntryModel {
  @Field(() => ID, { description: "The entry's id (it grows: a later entry has a larger id)" }) id: string;
  @Field(() => Date, { description: 'When the change was made' }) at: Date;
  @Field(() => AuditKind, { description: 'What kind of thing changed' }) kind: AuditKind;
  @Field({ description: 'What changed: smtpSettings, mailDefaults, mailBranding (the settings, one of a kind), a mail template (<type>/<language>), or the id of the person whose role changed' }) target: string;
  @Field({ description: 'Who made it: the subject (sub) of their token, or "system" for Herald itself (the first-start seed)' }) actorId: string;
  @Field(() => String, { nullable: true, description: "Their name, from their token's name claim; null when it had none" }) actorName: string | null;
  @Field(() => [AuditFieldChangeModel], { description: 'The fields that changed, in a stable order' }) fields: AuditFieldChangeModel[];

  static from(row: AuditEntryEntity): AuditEntryModel {
    return Object.assign(new AuditEntryModel(), {
      id: String(row.id),
      at: row.at,
      kind: row.kind as AuditKind,
      target: row.target,
      actorId: row.actorId,
      actorName: row.actorName,
      fields: (JSON.parse(row.fields) as AuditFieldChange[]).map(AuditFieldChangeModel.from),
    });
  }
}
