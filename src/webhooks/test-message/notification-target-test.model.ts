import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

/** The steps of posting to a webhook, in order. */
export enum TargetTestStep {
  RESOLVE = 'RESOLVE',
  CONNECT = 'CONNECT',
  TLS = 'TLS',
  SEND = 'SEND',
}
export enum TargetTestStatus {
  OK = 'OK',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
registerEnumType(TargetTestStep, {
  name: 'NotificationTargetTestStep',
  description: 'A step of posting to a notification target',
  valuesMap: {
    RESOLVE: { description: "Looking up the webhook's host, and checking it is allowed and not an internal address" },
    CONNECT: { description: 'Opening the TCP connection' },
    TLS: { description: "The TLS handshake, and checking the webhook's certificate" },
    SEND: { description: 'Posting the test message, and the answer' },
  },
});
registerEnumType(TargetTestStatus, {
  name: 'NotificationTargetTestStatus',
  description: 'How one step went',
  valuesMap: {
    OK: { description: 'The step worked' },
    FAILED: { description: 'The step failed: message says why' },
    SKIPPED: { description: 'Not reached after a failure, or not needed (TLS for a plain http test target)' },
  },
});

@ObjectType('NotificationTargetTestStepResult', { description: 'What happened at one step' })
export class TargetTestStepResult {
  @Field(() => TargetTestStep, { description: 'The step' }) step: TargetTestStep;
  @Field(() => TargetTestStatus, { description: 'How it went' }) status: TargetTestStatus;
  @Field({ description: 'What worked, or what went wrong and what to do' }) message: string;
  @Field(() => Int, { nullable: true, description: "SEND: the webhook's HTTP status" }) httpStatus?: number;
  @Field(() => String, { nullable: true, description: "SEND: the start of the webhook's answer" }) response?: string;
}

@ObjectType('NotificationTargetTestResult', { description: 'The outcome of testNotificationTarget, step by step' })
export class NotificationTargetTestResult {
  @Field({ description: 'Whether every step worked (the test message was posted)' }) ok: boolean;
  @Field(() => TargetTestStep, { nullable: true, description: 'The step that failed' }) failedStep?: TargetTestStep;
  @Field(() => [TargetTestStepResult], { description: 'Every step, in order, with what happened' }) steps: TargetTestStepResult[];
  @Field(() => Int, { description: 'How long the whole test took, in milliseconds' }) durationMs: number;
}
