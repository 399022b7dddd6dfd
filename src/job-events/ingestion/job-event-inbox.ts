import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { Sql, type SqlStatement } from '../../database/sql';
import { JobEventEntity } from '../entities/job-event.entity';

/**
 * The inbox (job_events): what makes an event count once. One statement of fixed
 * text (the driver prepares it once), a batch as one JSON array: an id recorded
 * by another process's transaction that has not committed yet waits for it
 * (PostgreSQL) and is then a duplicate, rather than planned twice.
 */
@Injectable()
export class JobEventInbox {
  private readonly insertSql: SqlStatement;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const sql = new Sql(dataSource);
    this.insertSql = sql.prepare(
      `INSERT INTO ${sql.table(JobEventEntity)} (id, received_at, source)
       SELECT v.id, ?${sql.postgres ? '::timestamp' : ''}, v.source FROM ${sql.jsonRows({ id: 'varchar', source: 'varchar' })} WHERE true
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
    );
  }

  /** Writes the events whose id is not there yet (in the caller's transaction); answers the ids it wrote. */
  async record(manager: EntityManager, events: Array<{ id: string; source: string }>, receivedAt: Date): Promise<Set<string>> {
    const at = DateUtils.mixedDateToUtcDatetimeString(receivedAt) as string;
    const rows = (await this.insertSql.query(manager, [at, JSON.stringify(events)])) as Array<{ id: string }>;
    return new Set(rows.map((row) => row.id));
  }
}
