import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { BadUserInputError, NotFoundError } from '../../graphql/graphql-errors';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { NotificationTargetModel } from './notification-target.model';
import { NotificationTargets } from '../notification-targets';
import { AddressRules, hostOf, TargetAddressError, TargetLookupError } from '../sending/address-rules';
import { TargetPacing } from '../sending/target-pacing';
import { TargetAccess } from '../target-access';
import { TargetKind } from '../target-kind';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import type { AddNotificationTargetInput } from './add-notification-target.input';
import type { UpdateNotificationTargetInput } from './update-notification-target.input';

/** addNotificationTarget, updateNotificationTarget, removeNotificationTarget, notificationTargets: checked, then the table. */
@Injectable()
export class NotificationTargetsService {
  private readonly logger = new Logger('NotificationTargets');

  constructor(
    private readonly targets: NotificationTargets,
    private readonly access: TargetAccess,
    private readonly rules: AddressRules,
    private readonly pacing: TargetPacing,
  ) {}

  async add(principal: Principal, input: AddNotificationTargetInput): Promise<NotificationTargetModel> {
    await this.access.check(principal, input.applicationId);
    const problems: Array<{ field: string; message: string }> = [];
    if (input.kind === TargetKind.WEBHOOK && !input.secret) problems.push({ field: 'secret', message: 'is required for a WEBHOOK target: the key its X-Herald-Signature is made with (16 characters or more)' });
    if (input.kind !== TargetKind.WEBHOOK && input.secret) problems.push({ field: 'secret', message: `is for WEBHOOK targets only (${input.kind} webhooks are not signed)` });
    const url = await this.checkedUrl(input.url, problems);
    if (problems.length) throw new BadUserInputError(problems);
    const row = await this.targets.add({
      applicationId: input.applicationId,
      kind: input.kind,
      name: input.name.trim(),
      url: url!,
      host: hostOf(url!),
      secret: input.secret ?? null,
      types: [...new Set(input.types)],
      frequency: input.frequency,
      digestHour: input.digestHour ?? null,
      language: input.language ?? null,
      timeZone: input.timeZone ?? null,
      createdBy: principal.sub,
    }, actorOf(principal));
    this.logger.log(`${principal.sub} added ${row.kind} target ${row.id} (${row.host}) to application ${row.applicationId}`);
    return NotificationTargetModel.from(row);
  }

  async update(principal: Principal, input: UpdateNotificationTargetInput): Promise<NotificationTargetModel> {
    const row = await this.targets.find(Number(input.id));
    if (!row) throw new NotFoundError('Notification target', input.id);
    await this.access.check(principal, row.applicationId);
    const problems: Array<{ field: string; message: string }> = [];
    if (input.secret && row.kind !== TargetKind.WEBHOOK) problems.push({ field: 'secret', message: `is for WEBHOOK targets only (${row.kind} webhooks are not signed)` });
    if (input.digestHour != null && (input.frequency ?? row.frequency) !== NotificationFrequency.DIGEST_DAILY) problems.push({ field: 'digestHour', message: 'is for DIGEST_DAILY targets only' });
    const url = input.url != null ? await this.checkedUrl(input.url, problems) : undefined;
    if (problems.length) throw new BadUserInputError(problems);
    const updated = await this.targets.update(
      row,
      {
        ...(input.name != null && { name: input.name.trim() }),
        ...(url && { url, host: hostOf(url) }),
        ...(input.secret != null && { secret: input.secret }),
        ...(input.types != null && { types: [...new Set(input.types)] }),
        ...(input.frequency != null && { frequency: input.frequency }),
        ...(input.digestHour != null && { digestHour: input.digestHour }),
        ...(input.language != null && { language: input.language }),
        ...(input.timeZone != null && { timeZone: input.timeZone }),
        ...(input.enabled && { enable: true }),
      },
      actorOf(principal),
    );
    this.logger.log(`${principal.sub} updated ${row.kind} target ${row.id} (${updated.host}) of application ${row.applicationId}${!row.enabled && updated.enabled ? ': enabled again' : ''}`);
    return NotificationTargetModel.from(updated);
  }

  async remove(principal: Principal, id: string): Promise<NotificationTargetModel> {
    const row = await this.targets.find(Number(id));
    if (!row) throw new NotFoundError('Notification target', id);
    await this.access.check(principal, row.applicationId);
    await this.targets.remove(row, actorOf(principal));
    this.pacing.forget(row.id);
    this.logger.log(`${principal.sub} removed ${row.kind} target ${row.id} (${row.host}) of application ${row.applicationId}`);
    return NotificationTargetModel.from(row);
  }

  /** The URL parsed and allowed, resolved now: a target never points inside (it is checked again at every post). */
  private async checkedUrl(given: string, problems: Array<{ field: string; message: string }>): Promise<URL | undefined> {
    try {
      const url = this.rules.parse(given);
      await this.rules.resolve(url);
      return url;
    } catch (error) {
      // A host that does not resolve now cannot be checked: refused too (nothing is saved), saying so.
      if (!(error instanceof TargetAddressError || error instanceof TargetLookupError)) throw error;
      problems.push({ field: 'url', message: error.message });
      return undefined;
    }
  }

  async list(principal: Principal, applicationId: string): Promise<NotificationTargetModel[]> {
    await this.access.check(principal, applicationId);
    return (await this.targets.ofApplication(applicationId)).map((row) => NotificationTargetModel.from(row));
  }
}
