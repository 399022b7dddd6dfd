import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { ReportMailboxStateEntity } from './report-mailbox-state.entity';
import { ReportMailboxState, ReportMailboxStatusModel, SetAsideReportModel } from './report-mailbox-status.model';

const ROW = 1;

/**
 * What the last look into the report mailbox found, kept in one row so that
 * relayStatus answers the same through every process. A change of state is
 * logged once by the process that saw it.
 */
@Injectable()
export class ReportMailboxHealth {
  private readonly logger = new Logger('ReportMailbox');
  /** The state this process last wrote, so a failure repeated at every poll is logged once. */
  private last?: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  /** No mailbox is set. A Herald that never had one writes nothing (status() answers NOT_CONFIGURED without a row). */
  async notConfigured(): Promise<void> {
    if (this.last === ReportMailboxState.NOT_CONFIGURED) return;
    const row = await this.dataSource.getRepository(ReportMailboxStateEntity).findOneBy({ id: ROW });
    if (row?.state === ReportMailboxState.NOT_CONFIGURED || !row) {
      this.last = ReportMailboxState.NOT_CONFIGURED;
      return;
    }
    await this.write(ReportMailboxState.NOT_CONFIGURED, null, {});
  }

  async read(mailbox: string): Promise<void> {
    const now = this.clock.date();
    if (this.last && this.last !== ReportMailboxState.OK && this.last !== ReportMailboxState.NOT_CONFIGURED) this.logger.log(`the report mailbox ${mailbox} is read again`);
    await this.write(ReportMailboxState.OK, mailbox, { lastPollAt: now, lastSuccessAt: now });
  }

  async failed(state: ReportMailboxState.DOWN | ReportMailboxState.LOGIN_REFUSED, error: string): Promise<void> {
    const now = this.clock.date();
    if (this.last !== state) this.logger.warn(`the report mailbox cannot be read (${state}): ${error}; tried again at every poll`);
    await this.write(state, null, { lastPollAt: now, lastError: error, lastErrorAt: now });
  }

  async setAside(reason: string, subject: string | null): Promise<void> {
    const now = this.clock.date();
    await this.transactions.run(async (manager) => {
      // The first look may set one aside before it has written the row.
      await manager.createQueryBuilder().insert().into(ReportMailboxStateEntity).values({ id: ROW, state: ReportMailboxState.OK, since: now }).orIgnore().updateEntity(false).execute();
      await manager.getRepository(ReportMailboxStateEntity).update({ id: ROW }, { asideAt: now, asideReason: reason, asideSubject: subject?.slice(0, 255) ?? null });
    });
  }

  async status(): Promise<ReportMailboxStatusModel> {
    const row = await this.dataSource.getRepository(ReportMailboxStateEntity).findOneBy({ id: ROW });
    const status = new ReportMailboxStatusModel();
    if (!row) return Object.assign(status, { state: ReportMailboxState.NOT_CONFIGURED, since: this.clock.date(), lastPolledAt: null, lastSuccessAt: null, lastError: null, lastErrorAt: null, lastSetAside: null });
    return Object.assign(status, {
      state: row.state as ReportMailboxState,
      since: row.since,
      lastPolledAt: row.lastPollAt,
      lastSuccessAt: row.lastSuccessAt,
      lastError: row.lastError,
      lastErrorAt: row.lastErrorAt,
      lastSetAside: row.asideAt && row.asideReason ? Object.assign(new SetAsideReportModel(), { at: row.asideAt, reason: row.asideReason, subject: row.asideSubject }) : null,
    });
  }

  /** Writes the state, keeping `since` while it does not change. */
  private async write(state: ReportMailboxState, mailbox: string | null, changes: Partial<ReportMailboxStateEntity>): Promise<void> {
    this.last = state;
    const now = this.clock.date();
    await this.transactions.run(async (manager) => {
      const rows = manager.getRepository(ReportMailboxStateEntity);
      await manager.createQueryBuilder().insert().into(ReportMailboxStateEntity).values({ id: ROW, state, since: now }).orIgnore().updateEntity(false).execute();
      const row = await rows.findOneByOrFail({ id: ROW });
      await rows.update({ id: ROW }, { ...changes, state, ...(row.state !== state ? { since: now } : {}), ...(mailbox ? { mailbox } : {}) });
    });
  }
}
