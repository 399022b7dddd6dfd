import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

/** The steps of talking to a relay, in order. */
export enum SmtpCheckStep {
  RESOLVE = 'RESOLVE',
  CONNECT = 'CONNECT',
  GREETING = 'GREETING',
  TLS = 'TLS',
  /** OAuth2 only: an access token from the token endpoint. */
  TOKEN = 'TOKEN',
  AUTH = 'AUTH',
  SEND = 'SEND',
}
export enum SmtpCheckStatus {
  OK = 'OK',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
registerEnumType(SmtpCheckStep, { name: 'SmtpCheckStep', description: 'A step of talking to the relay' });
registerEnumType(SmtpCheckStatus, { name: 'SmtpCheckStatus' });

@ObjectType({ description: 'What happened at one step' })
export class SmtpCheckStepResult {
  @Field(() => SmtpCheckStep) step: SmtpCheckStep;
  @Field(() => SmtpCheckStatus) status: SmtpCheckStatus;
  @Field({ description: 'What worked, or what went wrong and how to fix it' }) message: string;
  @Field(() => Int, { nullable: true, description: "The relay's reply code, e.g. 535" }) responseCode?: number;
  @Field(() => String, { nullable: true, description: "The relay's reply text" }) response?: string;
}

@ObjectType({ description: 'The outcome of verifySmtpSettings or sendTestEmail, step by step' })
export class SmtpCheckResult {
  @Field() ok: boolean;
  @Field(() => SmtpCheckStep, { nullable: true, description: 'The step that failed' }) failedStep?: SmtpCheckStep;
  @Field(() => [SmtpCheckStepResult]) steps: SmtpCheckStepResult[];
  @Field(() => String, { nullable: true, description: 'Message-ID of the test mail' }) messageId?: string;
  @Field(() => Int) durationMs: number;
}
