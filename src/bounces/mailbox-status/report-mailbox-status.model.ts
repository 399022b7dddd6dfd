import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';

/** How the last look into the report mailbox went. */
export enum ReportMailboxState {
  NOT_CONFIGURED = 'NOT_CONFIGURED',
  OK = 'OK',
  DOWN = 'DOWN',
  LOGIN_REFUSED = 'LOGIN_REFUSED',
}
registerEnumType(ReportMailboxState, {
  name: 'ReportMailboxState',
  description: 'How the last look into the report mailbox went',
  valuesMap: {
    NOT_CONFIGURED: { description: 'No report mailbox is set (reportMailboxSettings protocol NONE): bounces are not read' },
    OK: { description: 'The mailbox was read' },
    DOWN: { description: 'The mailbox could not be reached or read (lastError says why); Herald tries again at every poll' },
    LOGIN_REFUSED: { description: 'The server refused the login (password, or OAuth2 token); Herald tries again at every poll' },
  },
});

@ObjectType('SetAsideReport', { description: 'A mail of the report mailbox that Herald could not use, moved to the aside folder' })
export class SetAsideReportModel {
  @Field({ description: 'When it was set aside' }) at: Date;
  @Field({ description: 'Why: truncated, no Message-ID of the returned message, too large, a form Herald cannot read' }) reason: string;
  @Field(() => String, { nullable: true, description: 'Its subject' }) subject: string | null;
}

@ObjectType('ReportMailboxStatus', { description: 'The mailbox bounce reports are read from, as Herald last saw it' })
export class ReportMailboxStatusModel {
  @Field(() => ReportMailboxState, { description: 'NOT_CONFIGURED, OK, DOWN or LOGIN_REFUSED' }) state: ReportMailboxState;
  @Field({ description: 'Since when it is in this state' }) since: Date;
  @Field(() => Date, { nullable: true, description: 'When a process last looked into it' }) lastPolledAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was last read' }) lastSuccessAt: Date | null;
  @Field(() => String, { nullable: true, description: 'What went wrong at the last failed look (never a secret)' }) lastError: string | null;
  @Field(() => Date, { nullable: true, description: 'When that was' }) lastErrorAt: Date | null;
  @Field(() => SetAsideReportModel, { nullable: true, description: 'The last mail set aside as unreadable, if any' }) lastSetAside: SetAsideReportModel | null;
}
