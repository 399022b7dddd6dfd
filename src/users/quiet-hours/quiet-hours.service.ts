import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { Clock } from '../../clock/clock';
import { Sql, type SqlStatement } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { NotificationType } from '../../event-types/notification-type';
import { BadUserInputError, NotFoundError } from '../../graphql/graphql-errors';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { ApplicationEntity } from '../entities/application.entity';
import { digestTimeZone } from '../frequency/digest-window';
import { DEFAULT_END, DEFAULT_START, type QuietHoursFields } from './quiet-hours.input';
import { QuietHoursEntity, QuietHoursScope } from './quiet-hours.entity';
import { QuietHoursModel, QuietHoursSource } from './quiet-hours.model';
import { minutesOf, quietUntil } from './quiet-hours';

/** Someone planning may hold a mail for: their id in the console and their own time zone. */
export interface QuietReader {
  externalId: string;
  timeZone: string | null;
}

/** Types that break through when nobody said which. */
export const DEFAULT_BREAK_THROUGH: readonly NotificationType[] = [NotificationType.JOB_FAILED];

const NONE: Omit<QuietHoursModel, 'source'> = { enabled: false, start: DEFAULT_START, end: DEFAULT_END, weekends: false, timeZone: null, breakThrough: [...DEFAULT_BREAK_THROUGH] };

function modelOf(row: QuietHoursEntity | null | undefined, source: QuietHoursSource): QuietHoursModel {
  if (!row) return { ...NONE, source: QuietHoursSource.NONE };
  return {
    enabled: !!row.enabled,
    start: row.startTime,
    end: row.endTime,
    weekends: !!row.weekends,
    timeZone: row.timeZone,
    breakThrough: row.breakThrough ? (row.breakThrough.split(',') as NotificationType[]) : [],
    source,
  };
}

/**
 * Quiet hours: a person's own, else their application's default, else the
 * installation's (an ADMIN's). Planning asks `heldUntil` once per event for its
 * recipients (one query): whom to hold, and until when; the held mails wait as
 * digest entries of kind QUIET and leave, folded into one if several, when the
 * quiet hours end (notifications/digests).
 */
@Injectable()
export class QuietHoursService {
  private readonly rulesQuery: SqlStatement;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly audit: AuditLog,
    private readonly mailDefaults: MailDefaultsService,
    private readonly clock: Clock,
  ) {
    const sql = new Sql(dataSource);
    const people = sql.postgres ? 'SELECT json_array_elements_text(?::json)' : 'SELECT value FROM json_each(?)';
    // The rows that may decide for these people about this application: theirs, the application's, the installation's.
    this.rulesQuery = sql.prepare(
      `SELECT q.* FROM ${sql.table(QuietHoursEntity)} q
        WHERE (q.scope = '${QuietHoursScope.USER}' AND q.owner_id IN (${people}))
           OR (q.scope = '${QuietHoursScope.APPLICATION}' AND q.owner_id = ?)
           OR q.scope = '${QuietHoursScope.INSTALLATION}'`,
    );
  }

  /**
   * Which of these readers of `eventType` about the application are in quiet hours
   * now, and until when (absent: send now). A type they let break through is never held.
   */
  async heldUntil(readers: readonly QuietReader[], applicationId: string, eventType: string, manager: EntityManager = this.dataSource.manager): Promise<Map<string, Date>> {
    const held = new Map<string, Date>();
    if (!readers.length) return held;
    const rows = (await this.rulesQuery.query(manager, [JSON.stringify(readers.map((r) => r.externalId)), applicationId])) as Array<Record<string, unknown>>;
    if (!rows.length) return held;
    const own = new Map<string, Record<string, unknown>>();
    let application: Record<string, unknown> | undefined;
    let installation: Record<string, unknown> | undefined;
    for (const row of rows) {
      if (row.scope === QuietHoursScope.USER) own.set(String(row.owner_id), row);
      else if (row.scope === QuietHoursScope.APPLICATION) application = row;
      else installation = row;
    }
    const now = this.clock.now();
    const { timeZone: adminZone } = await this.mailDefaults.get();
    for (const reader of readers) {
      const row = own.get(reader.externalId) ?? application ?? installation;
      if (!row || !row.enabled) continue;
      if (String(row.break_through).split(',').includes(eventType)) continue;
      const zone = digestTimeZone((row.time_zone as string | null) ?? reader.timeZone, adminZone);
      const rule = { start: minutesOf(String(row.start_time))!, end: minutesOf(String(row.end_time))!, weekends: !!row.weekends, breakThrough: [] };
      const until = quietUntil(now, rule, zone);
      if (until !== null) held.set(reader.externalId, new Date(until));
    }
    return held;
  }

  /** A person's quiet hours in effect everywhere: their own, else the installation's default. */
  async forPerson(userId: string): Promise<QuietHoursModel> {
    const repo = this.dataSource.getRepository(QuietHoursEntity);
    const own = await repo.findOneBy({ scope: QuietHoursScope.USER, ownerId: userId });
    if (own) return modelOf(own, QuietHoursSource.USER);
    return modelOf(await repo.findOneBy({ scope: QuietHoursScope.INSTALLATION, ownerId: '' }), QuietHoursSource.INSTALLATION);
  }

  /** The default for an application's people (applicationId), or everyone's; source NONE when none is set. */
  async defaults(applicationId: string | null): Promise<QuietHoursModel> {
    const scope = applicationId === null ? QuietHoursScope.INSTALLATION : QuietHoursScope.APPLICATION;
    const row = await this.dataSource.getRepository(QuietHoursEntity).findOneBy({ scope, ownerId: applicationId ?? '' });
    return modelOf(row, applicationId === null ? QuietHoursSource.INSTALLATION : QuietHoursSource.APPLICATION);
  }

  async setMine(userId: string, input: QuietHoursFields): Promise<QuietHoursModel> {
    await this.transactions.run((manager) => this.writeMine(manager, userId, input));
    return this.forPerson(userId);
  }

  /** Forgets a person's own choice: the defaults hold again. */
  async resetMine(userId: string): Promise<QuietHoursModel> {
    await this.writeMine(this.dataSource.manager, userId, null);
    return this.forPerson(userId);
  }

  /** A person's own quiet hours (null: forgotten, the defaults hold), in a transaction of the caller's (Transactions.run). */
  async writeMine(manager: EntityManager, userId: string, input: QuietHoursFields | null): Promise<void> {
    if (input) await this.write(manager, QuietHoursScope.USER, userId, input);
    else await manager.getRepository(QuietHoursEntity).delete({ scope: QuietHoursScope.USER, ownerId: userId });
  }

  /** An ADMIN's default, for one application or the installation, with its audit entry. */
  async updateDefaults(input: QuietHoursFields & { applicationId?: string }, principal: Principal): Promise<QuietHoursModel> {
    const applicationId = input.applicationId ?? null;
    await this.transactions.run(async (manager) => {
      if (applicationId !== null && !(await manager.getRepository(ApplicationEntity).existsBy({ externalId: applicationId }))) throw new NotFoundError('application', applicationId);
      const scope = applicationId === null ? QuietHoursScope.INSTALLATION : QuietHoursScope.APPLICATION;
      const before = await manager.getRepository(QuietHoursEntity).findOneBy({ scope, ownerId: applicationId ?? '' });
      const after = await this.write(manager, scope, applicationId ?? '', input);
      const old = before ? modelOf(before, QuietHoursSource.NONE) : undefined;
      const fields = (['enabled', 'start', 'end', 'weekends', 'timeZone', 'breakThrough'] as const)
        .filter((f) => !old || String(old[f]) !== String(after[f]))
        .map((f) => fieldChange(f, old ? String(old[f]) : null, String(after[f])));
      await this.audit.record(manager, { kind: AuditKind.QUIET_HOURS, target: applicationId === null ? 'quietHours' : `quietHours[${applicationId}]`, actor: actorOf(principal), fields });
    });
    return this.defaults(applicationId);
  }

  private async write(manager: EntityManager, scope: QuietHoursScope, ownerId: string, input: QuietHoursFields): Promise<QuietHoursModel> {
    const start = input.start ?? DEFAULT_START;
    const end = input.end ?? DEFAULT_END;
    if (start === end) throw BadUserInputError.field(input.end === undefined ? 'start' : 'end', 'must differ from start (for no quiet hours, set enabled to false)');
    const values = {
      scope, ownerId, enabled: input.enabled, startTime: start, endTime: end, weekends: input.weekends ?? false, timeZone: input.timeZone ?? null,
      breakThrough: [...new Set(input.breakThrough ?? DEFAULT_BREAK_THROUGH)].join(','),
    };
    await manager.getRepository(QuietHoursEntity).upsert(values, ['scope', 'ownerId']);
    return modelOf(values as QuietHoursEntity, QuietHoursSource.NONE);
  }
}
