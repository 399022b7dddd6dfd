import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import type { NotificationType } from '../../event-types/notification-type';
import type { AuditActor } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { ApplicationsService } from '../applications/applications.service';
import { NotificationFrequency } from '../frequency/notification-frequency';
import { ApplicationDefaultEntity } from './application-default.entity';
import type { UpdateApplicationNotificationDefaultsInput } from './application-defaults.input';
import type { ApplicationNotificationDefaultsModel } from './application-defaults.model';

/**
 * Each application's notification defaults: per type, what its managers get
 * until they choose (RecipientsService reads them in its statements: a person's
 * choice for the application, else theirs for every application, else the
 * application's default, else the type's). Changes are audit-logged.
 */
@Injectable()
export class ApplicationDefaultsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly applications: ApplicationsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async get(applicationId: string): Promise<ApplicationNotificationDefaultsModel> {
    const application = await this.applications.byExternalId(applicationId);
    const rows = await this.dataSource.getRepository(ApplicationDefaultEntity).find({ where: { applicationId: application.id }, order: { eventType: 'ASC' } });
    return {
      applicationId,
      defaults: rows.map((r) => ({ eventType: r.eventType as NotificationType, frequency: r.frequency as NotificationFrequency, digestHour: r.digestHour })),
    };
  }

  async update(input: UpdateApplicationNotificationDefaultsInput, actor: AuditActor): Promise<ApplicationNotificationDefaultsModel> {
    const application = await this.applications.byExternalId(input.applicationId);
    await this.transactions.run(async (manager) => {
      const repo = manager.getRepository(ApplicationDefaultEntity);
      const fields = [];
      for (const d of input.defaults) {
        const before = await repo.findOneBy({ applicationId: application.id, eventType: d.eventType });
        const digestHour = d.frequency === NotificationFrequency.DIGEST_DAILY ? (d.digestHour ?? null) : null;
        if (d.frequency === null) {
          if (before) await repo.delete({ applicationId: application.id, eventType: d.eventType });
        } else {
          await repo.upsert({ applicationId: application.id, eventType: d.eventType, frequency: d.frequency, digestHour, updatedAt: this.clock.date(), updatedBy: actor.id }, ['applicationId', 'eventType']);
        }
        const show = (f: string | null | undefined, h: number | null | undefined) => (f ? (h !== null && h !== undefined ? `${f} at ${h}` : f) : null);
        fields.push(fieldChange(d.eventType, show(before?.frequency, before?.digestHour), show(d.frequency, digestHour)));
      }
      await this.audit.record(manager, { kind: AuditKind.APPLICATION_DEFAULTS, target: input.applicationId, actor, fields: fields.filter((f) => !('secret' in f) && f.before !== f.after) });
    });
    return this.get(input.applicationId);
  }
}
