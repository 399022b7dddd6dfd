import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { MailTemplateType } from './mail-template-type';

export enum MailTemplateChange {
  UPDATE = 'UPDATE',
  RESET = 'RESET',
  RESTORE = 'RESTORE',
}
registerEnumType(MailTemplateChange, {
  name: 'MailTemplateChange',
  description: 'How a version of a mail template came about',
  valuesMap: {
    UPDATE: { description: 'updateMailTemplate' },
    RESET: { description: "resetMailTemplate: back to Herald's default" },
    RESTORE: { description: 'restoreMailTemplateVersion: an earlier version brought back (restoredFrom)' },
  },
});

@ObjectType('MailTemplate', { description: 'The template of one event type (or the layout) in one language, as mails are written with it now' })
export class MailTemplateModel {
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) type: MailTemplateType;
  @Field({ description: 'The language (en, fr)' }) language: string;
  @Field(() => String, { nullable: true, description: "The subject (Handlebars, plain text); null for LAYOUT, which has none. Herald's is {{subject}}" }) subject: string | null;
  @Field({ description: 'The HTML part (Handlebars)' }) html: string;
  @Field({ description: 'The plain-text part (Handlebars)' }) text: string;
  @Field({ description: "Whether an admin changed it (false: Herald's default, as shipped)" }) customised: boolean;
  @Field(() => Int, { description: 'Its version: 0 while never changed, then 1, 2, … with each update, reset or restore' }) version: number;
  @Field(() => Date, { nullable: true, description: 'When its current version was saved; null: never changed' }) updatedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Who saved it: the subject (sub) of their token; null: never changed' }) updatedBy: string | null;
  @Field(() => String, { nullable: true, description: "Their name, from their token's name claim" }) updatedByName: string | null;
}

@ObjectType('MailTemplateVersion', { description: 'One saved version of a mail template' })
export class MailTemplateVersionModel {
  @Field(() => ID, { description: "The version's id (restoreMailTemplateVersion takes it)" }) id: string;
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) type: MailTemplateType;
  @Field({ description: 'The language' }) language: string;
  @Field(() => Int, { description: 'Its number (1, 2, …)' }) version: number;
  @Field(() => MailTemplateChange, { description: 'How it came about' }) change: MailTemplateChange;
  @Field(() => Int, { nullable: true, description: 'For a RESTORE: the version it brought back' }) restoredFrom: number | null;
  @Field(() => String, { nullable: true, description: "Its subject (Herald's where it kept the default); null for LAYOUT" }) subject: string | null;
  @Field({ description: "Its HTML part (Herald's where it kept the default)" }) html: string;
  @Field({ description: "Its plain-text part (Herald's where it kept the default)" }) text: string;
  @Field({ description: "Whether it differs from Herald's default" }) customised: boolean;
  @Field({ description: 'Whether it is the one in effect' }) current: boolean;
  @Field(() => Date, { description: 'When it was saved' }) createdAt: Date;
  @Field({ description: 'Who saved it: the subject (sub) of their token' }) createdBy: string;
  @Field(() => String, { nullable: true, description: "Their name, from their token's name claim" }) createdByName: string | null;
}

@ObjectType('MailTemplateVariable', { description: 'A variable a mail template may use ({{name}}), with what it holds' })
export class MailTemplateVariableModel {
  @Field({ description: 'Its path, as templates write it: job.kind, error.step' }) name: string;
  @Field({ description: 'What it holds' }) description: string;
  @Field(() => String, { nullable: true, description: "Its value for the type's example event, in English (JSON for a group of values); null when the example has none" }) example: string | null;
  @Field({ description: 'HTML already escaped: the one kind of value the HTML part may write unescaped, {{{name}}}' }) html: boolean;
}
