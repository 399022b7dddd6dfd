import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { Clock } from '../../clock/clock';
import { NotFoundError } from '../../graphql/graphql-errors';
import { ChatMessageWriter } from '../messages/chat-message';
import { NotificationTargets } from '../notification-targets';
import { classifyAnswer } from '../sending/answer-classification';
import { WebhookHttp, type WebhookStep } from '../sending/webhook-http';
import { TargetAccess } from '../target-access';
import { TargetKind } from '../target-kind';
import { SIGNED_FORMAT } from '../signed/signed-payload';
import { SLACK_FORMAT } from '../slack/block-kit';
import { TEAMS_FORMAT } from '../teams/adaptive-card';
import { type NotificationTargetTestResult, TargetTestStatus, TargetTestStep, type TargetTestStepResult } from './notification-target-test.model';

const FORMATS = { [TargetKind.TEAMS]: TEAMS_FORMAT, [TargetKind.SLACK]: SLACK_FORMAT, [TargetKind.WEBHOOK]: SIGNED_FORMAT };
const STEPS: TargetTestStep[] = [TargetTestStep.RESOLVE, TargetTestStep.CONNECT, TargetTestStep.TLS, TargetTestStep.SEND];

/**
 * testNotificationTarget: posts a test message to the target, as its deliveries
 * are posted (the same SSRF rules, format and signature), and says how each step
 * went — like sendTestEmail for the relay. Nothing is recorded: a 404 here disables
 * nothing (the next real post does).
 */
@Injectable()
export class TestNotificationTargetService {
  constructor(
    private readonly targets: NotificationTargets,
    private readonly access: TargetAccess,
    private readonly writer: ChatMessageWriter,
    private readonly http: WebhookHttp,
    private readonly clock: Clock,
  ) {}

  async test(principal: Principal, id: string): Promise<NotificationTargetTestResult> {
    const row = await this.targets.find(Number(id));
    if (!row) throw new NotFoundError('Notification target', id);
    const applicationName = await this.access.check(principal, row.applicationId);
    const target = this.targets.decrypted(row);
    const start = this.clock.now();
    const format = FORMATS[target.kind];
    const message = await this.writer.test({ id: target.applicationId, name: applicationName }, target.types, { locale: row.language, timeZone: row.timeZone });
    const request = format.write({ kind: 'TEST', deliveryId: null, events: [], message }, target, this.clock.now());
    const answer = await this.http.post(target.url, request.body, request.headers);
    const secure = target.url.protocol === 'https:';
    const steps: TargetTestStepResult[] = [];
    const reached = new Set<WebhookStep>(answer.reached);
    for (const step of STEPS) {
      if (step === TargetTestStep.TLS && !secure) {
        steps.push({ step, status: TargetTestStatus.SKIPPED, message: 'plain http (WEBHOOK_ALLOW_HTTP): no TLS' });
      } else if (reached.has(step) && !(step === TargetTestStep.SEND && answer.answered && answer.status >= 300)) {
        steps.push({ step, status: TargetTestStatus.OK, message: okMessage(step, target.host), ...(step === TargetTestStep.SEND && answer.answered && { httpStatus: answer.status, response: answer.body.slice(0, 200) || undefined }) });
      } else if (!steps.some((s) => s.status === TargetTestStatus.FAILED)) {
        if (answer.answered) {
          const meaning = classifyAnswer(answer, target.host, this.clock.now());
          const description =
            meaning.outcome === 'gone'
              ? `${target.host} answered ${answer.status}: the webhook was deleted (the next notification posted to it disables the target)`
              : 'description' in meaning ? meaning.description : `${target.host} asked to slow down (429): try again later`;
          steps.push({ step, status: TargetTestStatus.FAILED, message: description, httpStatus: answer.status, response: answer.body.slice(0, 200) || undefined });
        } else steps.push({ step, status: TargetTestStatus.FAILED, message: answer.description });
      } else steps.push({ step, status: TargetTestStatus.SKIPPED, message: 'not reached' });
    }
    const failed = steps.find((s) => s.status === TargetTestStatus.FAILED);
    return { ok: !failed, ...(failed && { failedStep: failed.step }), steps, durationMs: this.clock.now() - start };
  }
}

function okMessage(step: TargetTestStep, host: string): string {
  switch (step) {
    case TargetTestStep.RESOLVE:
      return `${host} resolved to an address webhooks may reach`;
    case TargetTestStep.CONNECT:
      return `connected to ${host}`;
    case TargetTestStep.TLS:
      return `${host}'s certificate is valid`;
    default:
      return `${host} accepted the test message`;
  }
}
