import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { Clock } from '../../clock/clock';
import { insertedRows } from '../../database/inserted-rows';
import { Transactions } from '../../database/transactions';
import { BounceReportEntity, type ReportState } from './bounce-report.entity';

/** Keys per statement when asking which are settled (SQLite's bound parameters are limited). */
const CHUNK = 500;

/** A report this process holds: read it (CLAIMED), or do what is left (MOVE, ASIDE). */
export interface Claim {
  id: number;
  state: Exclude<ReportState, 'DONE'>;
}

/** What reading a report decided. */
export interface Finished {
  state: ReportState;
  outcome: string;
  reason?: string | null;
  subject?: string | null;
  deliveryId?: number | null;
}

/** The claim was taken over by another process (this one was too slow): what it did is rolled back. */
export class LostClaimError extends Error {
  constructor(id: number) {
    super(`report ${id} was taken over by another process`);
  }
}

/**
 * Each report handled once across processes: a row per (mailbox, message) in
 * bounce_reports, inserted by the first process to see it (a unique index decides),
 * held for a lease, finished in the transaction that records it.
 */
@Injectable()
export class ReportClaims {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  /** Of these messages, those with nothing left to do. */
  async settled(mailbox: string, keys: string[]): Promise<Set<string>> {
    const settled = new Set<string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = await this.dataSource.getRepository(BounceReportEntity).find({
        select: { messageKey: true },
        where: { mailbox, messageKey: In(keys.slice(i, i + CHUNK)), state: 'DONE' },
      });
      for (const row of rows) settled.add(row.messageKey);
    }
    return settled;
  }

  /** Claims the message for `owner`: new, its own already, or one whose holder's lease ran out. Null when another process holds it or it is done. */
  async claim(mailbox: string, messageKey: string, owner: string, leaseMs: number): Promise<Claim | null> {
    const now = this.clock.date();
    const until = new Date(now.getTime() + leaseMs);
    const repo = this.dataSource.getRepository(BounceReportEntity);
    const inserted = await this.transactions.run((manager) =>
      insertedRows(
        manager,
        manager
          .createQueryBuilder()
          .insert()
          .into(BounceReportEntity)
          .values({ mailbox, messageKey, state: 'CLAIMED', claimedBy: owner, claimedUntil: until, createdAt: now, handled: false })
          .orIgnore()
          .updateEntity(false),
      ),
    );
    if (inserted) {
      const row = await repo.findOneByOrFail({ mailbox, messageKey });
      return { id: row.id, state: 'CLAIMED' };
    }
    const row = await repo.findOneBy({ mailbox, messageKey });
    if (!row || row.state === 'DONE') return null;
    const taken = await this.transactions.exclusive(() =>
      this.dataSource
        .createQueryBuilder()
        .update(BounceReportEntity)
        .set({ claimedBy: owner, claimedUntil: until })
        // Its own (a move that failed at the last look: done now) or one whose holder's lease ran out.
        .where("id = :id AND state <> 'DONE' AND (claimed_by = :owner OR claimed_until IS NULL OR claimed_until < :now)", { id: row.id, now, owner })
        .execute(),
    );
    return taken.affected ? { id: row.id, state: row.state as Claim['state'] } : null;
  }

  /** Records what the report was, in the caller's transaction; throws LostClaimError when `owner` no longer holds it. */
  async finish(manager: EntityManager, id: number, owner: string, finished: Finished): Promise<void> {
    const result = await manager
      .createQueryBuilder()
      .update(BounceReportEntity)
      .set({
        state: finished.state,
        outcome: finished.outcome,
        reason: finished.reason ?? null,
        subject: finished.subject ? finished.subject.slice(0, 255) : null,
        deliveryId: finished.deliveryId ?? null,
        handled: finished.state === 'DONE',
        processedAt: this.clock.date(),
      })
      .where("id = :id AND state = 'CLAIMED' AND claimed_by = :owner", { id, owner })
      .execute();
    if (!result.affected) throw new LostClaimError(id);
  }

  /** The report was moved (or set aside): nothing more to do. */
  async done(id: number): Promise<void> {
    await this.transactions.exclusive(() =>
      this.dataSource.getRepository(BounceReportEntity).update({ id }, { state: 'DONE', handled: true, claimedUntil: null }),
    );
  }
}
