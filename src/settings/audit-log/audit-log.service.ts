import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { type Connection, decodeCursor, DEFAULT_PAGE_SIZE, toConnection } from '../../graphql/pagination';
import type { AuditActor } from './audit-actor';
import { AuditEntryEntity, type AuditFieldChange } from './audit-entry.entity';
import { AuditEntryModel } from './audit-entry.model';
import { AUDIT_KINDS, type AuditKind } from './audit-kind';
import type { AuditLogFilter } from './audit-log.args';

export interface AuditRecord {
  kind: AuditKind;
  target: string;
  actor: AuditActor;
  /** When: the time the change itself is stamped with (default: the clock's now). */
  at?: Date;
  fields: AuditFieldChange[];
}

/**
 * Who changed what, and when. A change and its entry are one transaction: the
 * caller hands `record` the manager of the transaction that makes the change, so
 * a change that rolls back leaves no entry and no entry tells of a change that
 * did not happen.
 */
@Injectable()
export class AuditLog {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Writes the entry with `manager`, which must be in the transaction that makes the change. Nothing when no field changed. */
  async record(manager: EntityManager, entry: AuditRecord): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('AuditLog.record: the change and its entry must be written in one transaction');
    if (!entry.fields.length) return;
    await manager.insert(AuditEntryEntity, {
      at: entry.at ?? this.clock.date(),
      kind: entry.kind,
      target: entry.target,
      actorId: entry.actor.id,
      actorName: entry.actor.name,
      fields: JSON.stringify(entry.fields),
    });
  }

  /** Newest first. Entries of a kind this version does not know (written by a newer one) are left out. */
  async list(filter: AuditLogFilter = {}, first = DEFAULT_PAGE_SIZE, after?: string): Promise<Connection<AuditEntryModel>> {
    const q = this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder('a');
    if (filter.kind) q.andWhere('a.kind = :kind', { kind: filter.kind });
    else q.andWhere('a.kind IN (:...kinds)', { kinds: AUDIT_KINDS });
    if (filter.from) q.andWhere('a.at >= :from', { from: filter.from });
    if (filter.to) q.andWhere('a.at < :to', { to: filter.to });
    const totalCount = await q.getCount();
    if (after) q.andWhere('a.id < :after', { after: Number(decodeCursor(after, 1)[0]) });
    const rows = await q.orderBy('a.id', 'DESC').limit(first + 1).getMany();
    return toConnection(rows, first, totalCount, (a) => [a.id], AuditEntryModel.from);
  }
}

/** A field's change as an entry tells it: before and after as text (null: none). */
export function fieldChange(field: string, before: unknown, after: unknown): AuditFieldChange {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return { field, before: text(before), after: text(after) };
}

/** A secret's change: only its name. */
export function secretChange(field: string): AuditFieldChange {
  return { field, secret: true };
}
