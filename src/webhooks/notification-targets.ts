import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SecretCipher } from '@herald/crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { Clock } from '../clock/clock';
import { Sql, type SqlStatement } from '../database/sql';
import { Transactions } from '../database/transactions';
import type { AuditActor } from '../settings/audit-log/audit-actor';
import { AuditKind } from '../settings/audit-log/audit-kind';
import { AuditLog, fieldChange, secretChange } from '../settings/audit-log/audit-log.service';
import type { NotificationType } from '../event-types/notification-type';
import { NotificationFrequency } from '../users/frequency/notification-frequency';
import { NotificationTargetEntity } from './notification-target.entity';
import type { TargetKind } from './target-kind';

/** A target as the channels send to it: its URL and signing key decrypted (kept in memory only, never logged). */
export interface SendableTarget {
  id: number;
  applicationId: string;
  kind: TargetKind;
  name: string;
  host: string;
  url: URL;
  secret: string | null;
  types: NotificationType[];
  enabled: boolean;
  /** Why it was disabled (its row's, or set by the sender that met the 404/410). */
  disabledReason: string | null;
}

/** What a new target is, checked (AddNotificationTargetInput, its URL parsed and allowed). */
export interface NewTarget {
  applicationId: string;
  kind: TargetKind;
  name: string;
  url: URL;
  host: string;
  secret: string | null;
  types: NotificationType[];
  frequency: NotificationFrequency;
  digestHour: number | null;
  language: string | null;
  timeZone: string | null;
  createdBy: string;
}

/** What updateNotificationTarget changes, checked (absent: kept). */
export interface TargetChange {
  name?: string;
  url?: URL;
  host?: string;
  secret?: string;
  types?: NotificationType[];
  frequency?: NotificationFrequency;
  digestHour?: number | null;
  language?: string;
  timeZone?: string;
  enable?: boolean;
}

/**
 * The notification targets' table: the only place that reads or writes it. URLs
 * and signing keys are encrypted on the way in and decrypted only for sending.
 */
/** What planning reads of an enabled target. */
export type EnabledTarget = Pick<NotificationTargetEntity, 'id' | 'kind' | 'name' | 'host' | 'types' | 'frequency' | 'digestHour' | 'language' | 'timeZone'>;

@Injectable()
export class NotificationTargets {
  /** An application's enabled targets as planning reads them (every event it plans: a statement of fixed text). */
  private readonly enabledQuery: SqlStatement;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {
    const sql = new Sql(dataSource);
    this.enabledQuery = sql.prepare(
      `SELECT id, kind, name, host, types, frequency, digest_hour AS "digestHour", language, time_zone AS "timeZone"
         FROM ${sql.table(NotificationTargetEntity)} WHERE application_id = ? AND enabled = TRUE ORDER BY id`,
    );
  }

  private get repo() {
    return this.dataSource.getRepository(NotificationTargetEntity);
  }

  /** Adds the target with its audit entry (the URL and key only named), in one transaction. */
  async add(target: NewTarget, actor: AuditActor): Promise<NotificationTargetEntity> {
    const row = this.repo.create({
      applicationId: target.applicationId,
      kind: target.kind,
      name: target.name,
      encryptedUrl: this.cipher.encrypt(target.url.href),
      host: target.host,
      encryptedSecret: target.secret ? this.cipher.encrypt(target.secret) : null,
      types: JSON.stringify(target.types),
      frequency: target.frequency,
      digestHour: target.frequency === NotificationFrequency.DIGEST_DAILY ? target.digestHour : null,
      language: target.language,
      timeZone: target.timeZone,
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      createdAt: this.clock.date(),
      createdBy: target.createdBy,
    });
    return this.transactions.run(async (manager) => {
      const saved = await manager.getRepository(NotificationTargetEntity).save(row);
      await this.audit.record(manager, { kind: AuditKind.NOTIFICATION_TARGET, target: `${saved.applicationId}/${saved.id}`, actor, fields: auditFields(saved, 'added') });
      return saved;
    });
  }

  /**
   * Changes a target with its audit entry (each field before and after; the URL and
   * key only named), in one transaction. `enable` clears what disabled it.
   */
  async update(row: NotificationTargetEntity, change: TargetChange, actor: AuditActor): Promise<NotificationTargetEntity> {
    const next: Partial<NotificationTargetEntity> = {};
    if (change.name !== undefined) next.name = change.name;
    if (change.url) Object.assign(next, { encryptedUrl: this.cipher.encrypt(change.url.href), host: change.host });
    if (change.secret) next.encryptedSecret = this.cipher.encrypt(change.secret);
    if (change.types) next.types = JSON.stringify(change.types);
    if (change.frequency) next.frequency = change.frequency;
    const frequency = change.frequency ?? row.frequency;
    if (change.frequency || change.digestHour !== undefined) next.digestHour = frequency === NotificationFrequency.DIGEST_DAILY ? (change.digestHour ?? row.digestHour) : null;
    if (change.language !== undefined) next.language = change.language;
    if (change.timeZone !== undefined) next.timeZone = change.timeZone;
    if (change.enable && !row.enabled) Object.assign(next, { enabled: true, disabledReason: null, disabledAt: null });
    const after = { ...row, ...next } as NotificationTargetEntity;
    const fields = [
      ...(['name', 'host', 'frequency', 'digestHour', 'language', 'timeZone', 'enabled'] as const)
        .filter((f) => f in next && row[f] !== after[f])
        .map((f) => fieldChange(f, row[f], after[f])),
      ...(next.types !== undefined && next.types !== row.types ? [fieldChange('types', JSON.parse(row.types).join(', '), JSON.parse(after.types).join(', '))] : []),
      ...(change.url ? [secretChange('url')] : []),
      ...(change.secret ? [secretChange('secret')] : []),
    ];
    if (!fields.length) return row;
    return this.transactions.run(async (manager) => {
      await manager.getRepository(NotificationTargetEntity).update(row.id, next);
      await this.audit.record(manager, { kind: AuditKind.NOTIFICATION_TARGET, target: `${row.applicationId}/${row.id}`, actor, fields });
      return after;
    });
  }

  find(id: number): Promise<NotificationTargetEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** An application's targets, oldest first. */
  ofApplication(applicationId: string, manager: EntityManager = this.dataSource.manager): Promise<NotificationTargetEntity[]> {
    return manager.getRepository(NotificationTargetEntity).find({ where: { applicationId }, order: { id: 'ASC' } });
  }

  /** An application's enabled targets, oldest first: what planning needs of each. */
  enabledOf(applicationId: string, manager: EntityManager): Promise<EnabledTarget[]> {
    return this.enabledQuery.query<EnabledTarget>(manager, [applicationId]);
  }

  /** These targets by id (one query); ids not found are left out. */
  rows(ids: readonly number[], manager: EntityManager = this.dataSource.manager): Promise<NotificationTargetEntity[]> {
    return ids.length ? manager.getRepository(NotificationTargetEntity).findBy({ id: In([...new Set(ids)]) }) : Promise.resolve([]);
  }

  /** These targets, ready to send to (decrypted), by id. */
  async sendable(ids: readonly number[]): Promise<Map<number, SendableTarget>> {
    return new Map((await this.rows(ids)).map((row) => [row.id, this.decrypted(row)]));
  }

  decrypted(row: NotificationTargetEntity): SendableTarget {
    return {
      id: row.id,
      applicationId: row.applicationId,
      kind: row.kind,
      name: row.name,
      host: row.host,
      url: new URL(this.cipher.decrypt(row.encryptedUrl)),
      secret: row.encryptedSecret ? this.cipher.decrypt(row.encryptedSecret) : null,
      types: JSON.parse(row.types) as NotificationType[],
      enabled: !!row.enabled,
      disabledReason: row.disabledReason,
    };
  }

  /** Removes the target with its audit entry, in one transaction. */
  async remove(row: NotificationTargetEntity, actor: AuditActor): Promise<void> {
    await this.transactions.run(async (manager) => {
      await manager.getRepository(NotificationTargetEntity).delete({ id: row.id });
      await this.audit.record(manager, { kind: AuditKind.NOTIFICATION_TARGET, target: `${row.applicationId}/${row.id}`, actor, fields: auditFields(row, 'removed') });
    });
  }

  /** Disables an enabled target in the caller's transaction; true when this call did it (the first of several processes, or of several deliveries). */
  async disable(id: number, reason: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.createQueryBuilder().update(NotificationTargetEntity).set({ enabled: false, disabledReason: reason.slice(0, 500), disabledAt: this.clock.date() }).where('id = :id AND enabled = :enabled', { id, enabled: true }).execute();
    return (result.affected ?? 0) > 0;
  }
}

/** What an audit entry says of a target added (before null) or removed (after null): its fields; the URL and key only named. */
function auditFields(row: NotificationTargetEntity, change: 'added' | 'removed') {
  const field = (name: string, value: unknown) => (change === 'added' ? fieldChange(name, null, value) : fieldChange(name, value, null));
  return [
    field('kind', row.kind),
    field('name', row.name),
    field('host', row.host),
    field('types', JSON.parse(row.types).join(', ')),
    field('frequency', row.frequency),
    field('digestHour', row.digestHour),
    field('language', row.language),
    field('timeZone', row.timeZone),
    secretChange('url'),
    ...(row.encryptedSecret ? [secretChange('secret')] : []),
  ];
}
