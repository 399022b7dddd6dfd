import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, type EntityManager, IsNull, Not } from 'typeorm';
import { Clock } from '../../clock/clock';
import { formatDuration } from '../../config/duration';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import { type Connection, decodeCursor, DEFAULT_PAGE_SIZE, toConnection } from '../../graphql/pagination';
import type { AuditActor } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { AddressSuspensionEntity } from './address-suspension.entity';

/** Statuses that say the address does not exist: one such bounce suspends it. */
export const UNKNOWN_USER_STATUSES = ['5.1.1', '5.1.10'];

/** What a bounce report said of one delivery to an address. */
export interface BounceFacts {
  /** The enhanced status code, e.g. 5.1.1. */
  status: string;
  /** 5.x.x: refused for good. */
  hard: boolean;
  diagnosticCode: string | null;
  reportingMta: string | null;
  deliveryId: number;
}

/**
 * What a bounce did to its address: SUSPENDED it now; RENEWED the suspension (the
 * mail that tried it again after the cooldown bounced too); COUNTED it towards
 * BOUNCE_SUSPEND_AFTER; or only NOTED it (soft, or already suspended).
 */
export type BounceVerdict = 'SUSPENDED' | 'RENEWED' | 'COUNTED' | 'NOTED';

/**
 * A reader's address suspended after bounces, as the send-time check finds it
 * (RecipientsService.readersOf): the mail is not sent — unless it is the one that
 * tries the address again after the cooldown (`tryAgain` decides, per delivery).
 */
export interface ReaderSuspension {
  address: string;
  reason: string;
  retryAt: Date | null;
  retryDeliveryId: number | null;
}

/** The cancelled deliveries' reason: `address suspended after bounces (5.1.1 unknown user …)`. */
export function suspendedReason(suspension: { reason: string | null }): string {
  return `address suspended after bounces (${suspension.reason ?? 'bounced'})`;
}

/** An address as suspensions key it: trimmed, lower-cased (mailboxes are case-insensitive in practice). */
export function addressKey(email: string): string {
  return email.trim().toLowerCase();
}

/** A person's `email_key`, written with their `email` wherever it is set: addressKey, or null without an address. */
export function emailKeyOf(email: string | null | undefined): string | null {
  return email ? addressKey(email) : null;
}

/**
 * Addresses that bounce: counted and suspended by the rules of HeraldConfig.bounces
 * (an unknown user at once, other hard bounces after a few in a window), tried
 * again with one mail after the cooldown, lifted by an admin, by the person
 * changing their address, or when that one mail went out without a bounce.
 * Reports are read elsewhere (src/bounces); this is the addresses' side: the
 * send-time check (RecipientsService.readersOf) says which readers' addresses are
 * suspended, and `tryAgain` which one mail tries one again.
 */
@Injectable()
export class AddressSuspensions {
  private readonly logger = new Logger('Suspensions');
  private readonly postgres: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly audit: AuditLog,
  ) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /**
   * Counts a bounce against `email`, in the caller's transaction (the one that marks
   * the delivery BOUNCED, so a report read twice counts once), and suspends it by the rules.
   */
  async recordBounce(manager: EntityManager, email: string, facts: BounceFacts): Promise<{ verdict: BounceVerdict; suspension: AddressSuspensionEntity }> {
    const address = addressKey(email);
    const repo = manager.getRepository(AddressSuspensionEntity);
    await manager.createQueryBuilder().insert().into(AddressSuspensionEntity).values({ address, hardBounces: 0 }).orIgnore().updateEntity(false).execute();
    const query = repo.createQueryBuilder('s').where('s.address = :address', { address });
    if (this.postgres) query.setLock('pessimistic_write'); // two processes reading reports of one address count both
    const row = (await query.getOne())!;
    const now = this.clock.date();
    Object.assign(row, { lastBounceAt: now, lastStatus: facts.status, lastDiagnostic: facts.diagnosticCode, lastReportingMta: facts.reportingMta, lastDeliveryId: facts.deliveryId });
    let verdict: BounceVerdict = 'NOTED';
    const { suspendAfter, windowMs, cooldownMs } = this.config.bounces;
    if (facts.hard && row.suspendedAt) {
      if (row.retryDeliveryId === facts.deliveryId) {
        // The mail that tried it again after the cooldown bounced: another cooldown.
        Object.assign(row, { retryAt: new Date(now.getTime() + cooldownMs), retryDeliveryId: null, reason: this.describe(facts, null) });
        verdict = 'RENEWED';
      }
    } else if (facts.hard) {
      const unknownUser = UNKNOWN_USER_STATUSES.includes(facts.status);
      const inWindow = row.windowStartedAt && now.getTime() - row.windowStartedAt.getTime() < windowMs;
      if (!unknownUser) Object.assign(row, inWindow ? { hardBounces: row.hardBounces + 1 } : { hardBounces: 1, windowStartedAt: now });
      if (unknownUser || row.hardBounces >= suspendAfter) {
        Object.assign(row, {
          suspendedAt: now,
          reason: this.describe(facts, unknownUser ? null : row.hardBounces),
          retryAt: new Date(now.getTime() + cooldownMs),
          retryDeliveryId: null,
          hardBounces: 0,
          windowStartedAt: null,
          liftedAt: null,
          liftedBy: null,
          liftReason: null,
        });
        verdict = 'SUSPENDED';
      } else {
        verdict = 'COUNTED';
      }
    }
    await repo.save(row);
    return { verdict, suspension: row };
  }

  /**
   * Whether `deliveryId`, to a suspended address, is the one mail that tries it
   * again: the one already chosen (asked again: a retry of that mail), or — once
   * the cooldown is over and none is out — this one, claimed here so that one
   * process sends it. Any other mail to the address is not sent.
   */
  async tryAgain(suspension: Pick<ReaderSuspension, 'address' | 'retryAt' | 'retryDeliveryId'>, deliveryId: number): Promise<boolean> {
    if (suspension.retryDeliveryId !== null) return suspension.retryDeliveryId === deliveryId;
    if (!suspension.retryAt || suspension.retryAt.getTime() > this.clock.now()) return false;
    return this.claimRetry(suspension.address, deliveryId, this.clock.date());
  }

  /** Makes `deliveryId` the mail that tries the address again, unless another process just did. */
  private async claimRetry(address: string, deliveryId: number, now: Date): Promise<boolean> {
    const result = await this.transactions.exclusive(() =>
      this.dataSource
        .createQueryBuilder()
        .update(AddressSuspensionEntity)
        .set({ retryDeliveryId: deliveryId, retryAt: null })
        .where('address = :address AND retry_delivery_id IS NULL AND suspended_at IS NOT NULL AND retry_at <= :now', { address, now })
        .execute(),
    );
    if (!result.affected) return false;
    this.logger.log(`${address} is suspended, its cooldown is over: delivery ${deliveryId} tries it again`);
    return true;
  }

  /** Suspended addresses whose one mail after the cooldown is out: the bounce reader settles them (lifted once it went out without a bounce). */
  async retriesOut(): Promise<Array<{ address: string; deliveryId: number }>> {
    const rows = await this.dataSource.getRepository(AddressSuspensionEntity).find({ where: { suspendedAt: Not(IsNull()), retryDeliveryId: Not(IsNull()) } });
    return rows.map((r) => ({ address: r.address, deliveryId: r.retryDeliveryId! }));
  }

  /** The mail that tried the address again was not sent (FAILED or cancelled): another cooldown. */
  async retryNotSent(address: string, deliveryId: number): Promise<void> {
    const retryAt = new Date(this.clock.now() + this.config.bounces.cooldownMs);
    await this.transactions.exclusive(() =>
      this.dataSource.getRepository(AddressSuspensionEntity).update({ address, retryDeliveryId: deliveryId }, { retryDeliveryId: null, retryAt }),
    );
  }

  /**
   * Ends the suspension of `email` (nothing when it is not suspended): by an admin
   * (`actor`, an audit entry), the person changing their address, or Herald (the
   * mail after the cooldown went out without a bounce). Answers the row as lifted.
   */
  async lift(email: string, actor: AuditActor, reason: string, audited = true): Promise<AddressSuspensionEntity | null> {
    const address = addressKey(email);
    const lifted = await this.transactions.run(async (manager) => {
      const at = this.clock.date();
      const changes = { suspendedAt: null, retryAt: null, retryDeliveryId: null, hardBounces: 0, windowStartedAt: null, liftedAt: at, liftedBy: actor.id, liftReason: reason };
      const result = await manager.getRepository(AddressSuspensionEntity).update({ address, suspendedAt: Not(IsNull()) }, changes);
      if (!result.affected) return null;
      if (audited) {
        await this.audit.record(manager, { kind: AuditKind.ADDRESS_SUSPENSION, target: address, actor, at, fields: [fieldChange('suspended', 'true', 'false')] });
      }
      return manager.getRepository(AddressSuspensionEntity).findOneByOrFail({ address });
    });
    if (lifted) this.logger.log(`${address} is no longer suspended (${reason}; by ${actor.id})`);
    return lifted;
  }

  /** The suspension of this address now, or null. */
  async of(email: string | null): Promise<AddressSuspensionEntity | null> {
    if (!email) return null;
    return this.dataSource.getRepository(AddressSuspensionEntity).findOneBy({ address: addressKey(email), suspendedAt: Not(IsNull()) });
  }

  /** Suspended addresses, by address. */
  async list(first = DEFAULT_PAGE_SIZE, after?: string, search?: string): Promise<Connection<AddressSuspensionEntity>> {
    const q = this.dataSource.getRepository(AddressSuspensionEntity).createQueryBuilder('s').where('s.suspended_at IS NOT NULL');
    if (search) q.andWhere(new Brackets((b) => b.where("s.address LIKE :p ESCAPE '\\'", { p: `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` })));
    const totalCount = await q.getCount();
    if (after) q.andWhere('s.address > :after', { after: String(decodeCursor(after, 1)[0]) });
    const rows = await q.orderBy('s.address', 'ASC').limit(first + 1).getMany();
    return toConnection(rows, first, totalCount, (s) => [s.address], (s) => s);
  }

  /**
   * A person's address changed from `previous` to `next`: their new address is
   * theirs to vouch for, so a suspension of it ends; so does the old one's when
   * nobody has it any more (`stillUsed` says whether someone does).
   */
  async addressChanged(previous: string | null, next: string | null, actor: AuditActor, stillUsed: (email: string) => Promise<boolean>): Promise<void> {
    if (next) await this.lift(next, actor, 'the person set it as their address again', false);
    if (previous && (!next || addressKey(previous) !== addressKey(next)) && !(await stillUsed(previous))) {
      await this.lift(previous, actor, 'the person changed their address', false);
    }
  }

  /** `5.1.1 unknown user (550 5.1.1 …), reported by mx.example.com`, or `3 hard bounces within 7d, the last …`. */
  private describe(facts: BounceFacts, count: number | null): string {
    const said = facts.diagnosticCode ? ` (${facts.diagnosticCode.length > 200 ? `${facts.diagnosticCode.slice(0, 199)}…` : facts.diagnosticCode})` : '';
    const what = `${facts.status}${UNKNOWN_USER_STATUSES.includes(facts.status) ? ' unknown user' : ''}${said}`;
    const by = facts.reportingMta ? `, reported by ${facts.reportingMta}` : '';
    return count === null ? `${what}${by}` : `${count} hard bounces within ${formatDuration(this.config.bounces.windowMs / 1000)}, the last ${what}${by}`;
  }
}
