import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { SmtpCheckStatus, SmtpCheckStep } from './smtp-check-step';

export { SmtpCheckStatus, SmtpCheckStep };

registerEnumType(SmtpCheckStep, {
  name: 'SmtpCheckStep', description: 'A step of talking to the relay, or to Microsoft Graph (TOKEN, MAILBOX, SEND)',
  valuesMap: {
    RESOLVE: { description: "Looking up the relay's host name" },
    CONNECT: { description: 'Opening the TCP connection (and the TLS handshake, for security TLS)' },
    GREETING: { description: "Waiting for the relay's 220 greeting" },
    TLS: { description: 'Upgrading to TLS with STARTTLS, and checking the certificate' },
    TOKEN: { description: 'OAuth2 only: getting an access token from the token endpoint' },
    AUTH: { description: 'Logging in: with the username and password, or with XOAUTH2 and the access token (Microsoft Graph: the token refused, 401)' },
    MAILBOX: { description: "Microsoft Graph only: the sender's mailbox exists and the app may send as it (Mail.Send, application access policy)" },
    SEND: { description: 'Sending the mail (the test mail: sendTestEmail only)' },
  },
});
registerEnumType(SmtpCheckStatus, {
  name: 'SmtpCheckStatus',
  description: 'How one step went',
  valuesMap: {
    OK: { description: 'The step worked' },
    FAILED: { description: 'The step failed: message says why and how to fix it' },
    SKIPPED: { description: 'Not needed with these settings, or not reached after a failure' },
  },
});

@ObjectType({ description: 'What happened at one step' })
export class SmtpCheckStepResult {
  @Field(() => SmtpCheckStep, { description: 'The step' }) step: SmtpCheckStep;
  @Field(() => SmtpCheckStatus, { description: 'How it went' }) status: SmtpCheckStatus;
  @Field({ description: 'What worked, or what went wrong and how to fix it' }) message: string;
  @Field(() => Int, { nullable: true, description: "The relay's reply code, e.g. 535" }) responseCode?: number;
  @Field(() => String, { nullable: true, description: "The relay's reply text" }) response?: string;
}

@ObjectType({ description: 'The outcome of verifySmtpSettings or sendTestEmail, step by step' })
export class SmtpCheckResult {
  @Field({ description: 'Whether every step worked' }) ok: boolean;
  @Field(() => SmtpCheckStep, { nullable: true, description: 'The step that failed' }) failedStep?: SmtpCheckStep;
  @Field(() => [SmtpCheckStepResult], { description: 'Every step, in order, with what happened' }) steps: SmtpCheckStepResult[];
  @Field(() => String, { nullable: true, description: 'Message-ID of the test mail' }) messageId?: string;
  @Field(() => Int, { description: 'How long the whole check took, in milliseconds' }) durationMs: number;
}
