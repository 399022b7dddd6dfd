import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { QUEUE_STATS, type QueueStats, type WaitingDeliveries } from '../../channels/queue-stats.port';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import { isConfigured, type SmtpSettings } from '../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { RelayQuota } from '../quota/relay-quota';
import { type SmtpCheckResult, SmtpCheckStatus, SmtpCheckStep } from '../smtp-check-result.model';
import type { SmtpFailure } from '../smtp-failure';
import { SmtpGateway } from '../smtp-gateway';
import { RelayHealthEntity } from './relay-health.entity';
import { type RelayFailure, RelayState, RelayStateChangedEvent } from './relay-state-changed.event';

/** Why sending waits now: the circuit is open, or sending is paced (until `until`). */
export interface RelayHold {
  reason: string;
  /** When pacing ends; undefined while the circuit is open (a probe closes it). */
  until?: Date;
  /** Paced by the quota's recipients a day: nothing more goes before `until`. */
  dayBudget?: boolean;
}

/** The relay's state as relayStatus answers it. */
export interface RelayStatusSnapshot {
  state: RelayState;
  since: Date;
  lastSuccessAt: Date | null;
  lastFailure: RelayFailure | null;
  deliveriesWaiting: number;
  oldestWaitingAt: Date | null;
  pacedUntil: Date | null;
  /** While paced by the quota or a slowdown's rate: about when the last delivery waiting now will go. */
  pacedLastAt: Date | null;
  /** After a throttling reply: the messages a minute sent now (halved at each, grown back while replies are clean). */
  pacedRate: number | null;
}

/** The primary's row (the standby relay's: RelayHealthOptions.row). */
const ROW = 'relay';

/** Which relay a RelayHealth keeps: the primary's by default; the standby relay's is built with its own row (src/smtp/standby). */
export interface RelayHealthOptions {
  /** Its row of relay_health (`relay`, `standby`). */
  row: string;
  /** The logger's context. */
  logName: string;
  /** Whether its state changes are announced (RelayStateChangedEvent: alerts, metrics, readiness: the primary's only). */
  announces: boolean;
}

/** Injection token of RelayHealthOptions (unset: the primary's). */
export const RELAY_HEALTH_OPTIONS = Symbol('RelayHealthOptions');
/** The channel whose mail goes through this relay (src/email). */
const MAIL_CHANNEL = 'email';
/**
 * How a pacing's reason begins when it is the quota's or a slowdown's rate (the
 * reasons of the deliveries it holds are rewritten with the count).
 */
const QUOTA_PACED = 'paced: relay ';
/** A pacing by the day's budget. */
const DAY_PACED = /^paced: relay quota \d+ recipients a day;/;
/** How long a probe's lease lasts: longer than a relay check can take (its timers), so two never overlap. */
const PROBE_LEASE_MS = 120_000;
/** A success is written at most this often (every mail would otherwise write the row). */
const SUCCESS_WRITE_INTERVAL_MS = 1_000;
/** Answers made once (reserve without a quota, succeeded with nothing to write: every mail asks). */
const DONE: Promise<void> = Promise.resolve();
const NO_HOLD: Promise<undefined> = Promise.resolve(undefined);

/** The longest pause a transport's own "retry after" (or a relay's used-up quota) may ask for. */
const RETRY_AFTER_MAX_MS = 3_600_000;
/** Sends this process remembers (their times), for the pace a first throttling reply halves. */
const RECENT_SENDS_MAX = 10_000;

const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;

/**
 * How a probe checks the transport of these settings, step by step, sending no mail:
 * by default the SMTP relay check; a transport of its own passes its check (Microsoft Graph: token, mailbox).
 */
export type RelayProbe = (settings: SmtpSettings) => Promise<SmtpCheckResult>;

/**
 * The relay's health, shared by every Herald process through one database row:
 * a circuit breaker and the pacing of sends.
 *
 * "The relay" is whichever transport carries the mail (the SMTP relay, or
 * Microsoft Graph: src/email/transports): one is in use at a time, and a change of
 * the settings probes anew. Relay-wide failures (cannot resolve, connect, greet,
 * TLS, a refused credential, no OAuth2 token, a mailbox Graph will not send as,
 * 421, timeouts) count in a row; RELAY_CIRCUIT_THRESHOLD of them — or at once a
 * refused credential, OAuth2 client or mailbox — open the circuit (DOWN): nothing
 * is sent, deliveries wait without spending attempts, and one process at a time (a
 * lease in the row) probes the relay with backoff — connect, EHLO, TLS, token,
 * AUTH, no mail (the gateway's relay check, or the transport's own). A successful
 * probe closes it.
 *
 * Pacing: before each send one message is taken from the relay quota (RelayQuota:
 * sliding windows of a minute and a day); a refusal paces every process until a
 * time (DEGRADED). A throttling reply from the relay ("slow down") halves the
 * messages a minute every process sends (`pacedRate`, in the row) — the pace the
 * relay refused, counted in the quota's window — and each clean window of a
 * minute grows it back by a quarter, up to that pace or the quota, where the
 * limit ends. A reply about a mail sent before the last halving halves nothing.
 *
 * The dispatcher asks (`holding`, `reserve`) and reports (`succeeded`, `failed`,
 * `throttled`); each process reads the row at every sweep (`refresh`), so a process
 * that did not see the failures stops too. RelayStateChangedEvent is announced by
 * the process that made the change (once, not by every process that reads it).
 */
@Injectable()
export class RelayHealth {
  private readonly logger: Logger;
  /** Its row of relay_health. */
  private readonly id: string;
  private readonly announces: boolean;
  /** Who holds the probe lease: unique per process. */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly rows: Repository<RelayHealthEntity>;
  /** The row as last read or written by this process. */
  private row?: RelayHealthEntity;
  /** The last announcement: the next waits for it (see announce). */
  private announcing: Promise<void> = Promise.resolve();
  /** The state this process last announced (none yet: the first sweep sets it). */
  private told?: RelayState;
  /** Relay-wide failures in a row seen by this process. */
  private failuresInARow = 0;
  private lastSuccessWrite = 0;
  /** This process began the current pacing: it announces its end. */
  private pacing = false;
  private probing?: Promise<void>;
  /** The count of deliveries held by the quota being written into their reasons, and whether it is asked again meanwhile. */
  private counting?: Promise<void>;
  private countAgain = false;
  /** When this process's last sends went (for the pace a first throttling reply halves). */
  private recentSends: number[] = [];

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly settings: SmtpSettingsService,
    private readonly gateway: SmtpGateway,
    private readonly quota: RelayQuota,
    private readonly clock: Clock,
    private readonly config: HeraldConfig,
    private readonly events: EventEmitter2,
    @Inject(QUEUE_STATS) private readonly queue: QueueStats,
    @Optional() @Inject(RELAY_HEALTH_OPTIONS) options?: RelayHealthOptions,
  ) {
    this.rows = dataSource.getRepository(RelayHealthEntity);
    this.id = options?.row ?? ROW;
    this.logger = new Logger(options?.logName ?? 'RelayHealth');
    this.announces = options?.announces ?? true;
  }

  /** The mails waiting for the relay (the email channel's deliveries WAITING). */
  private waitingSource(): Promise<WaitingDeliveries> {
    return this.queue.waiting(MAIL_CHANNEL);
  }

  /** Counts live the deliveries waiting for the relay (readiness, relayStatus). */
  waiting(): Promise<WaitingDeliveries> {
    return this.waitingSource();
  }

  /**
   * Deliveries were put back to wait (or held) for the relay quota: every delivery
   * waiting for it is told how many wait now and about when the last of them goes
   * (`…; the last of the 50 waiting at about …`). Counted after the deliveries are
   * back (each put-back asks; one count at a time, and once more if asked meanwhile,
   * so the last count follows the last put-back), not when the pacing began: the
   * mails of a batch are held back one after the other. Nothing while not paced by the quota.
   */
  async waitingChanged(): Promise<void> {
    if (this.counting) {
      this.countAgain = true;
      return this.counting;
    }
    this.counting = (async () => {
      do {
        this.countAgain = false;
        const row = this.row;
        if (!row || !this.paced(row) || !row.pacedReason?.startsWith(QUOTA_PACED)) return;
        const [{ count }, settings] = await Promise.all([this.waitingSource(), this.settings.get()]);
        const last = count ? this.lastPaced(row.pacedUntil!, count, settings) : null;
        if (last) await this.queue.describeWaiting(MAIL_CHANNEL, QUOTA_PACED, `${row.pacedReason}; the last of the ${count} waiting at about ${last.toISOString()}`);
      } while (this.countAgain);
    })()
      .catch((e: Error) => this.logger.warn(`could not count the deliveries waiting for the relay quota: ${e.message}`))
      .finally(() => (this.counting = undefined));
    return this.counting;
  }

  /**
   * Reads the shared state (at every sweep) and, when the circuit is open and a
   * probe is due and no other process is probing, probes the relay (with `probe`:
   * the check of the transport in use).
   */
  async refresh(probe: RelayProbe = (settings) => this.gateway.verify(settings)): Promise<void> {
    let row = await this.load();
    if (row.pacedRate !== null) row = await this.growRate(row);
    if (this.pacing && !this.slowed(row)) {
      this.pacing = false;
      if (row.state === RelayState.OK) await this.announce(RelayState.OK, RelayState.DEGRADED, row);
    }
    await this.announceSeen(row);
    if (row.state === RelayState.DOWN && row.nextProbeAt && row.nextProbeAt.getTime() <= this.clock.now()) {
      this.probing ??= this.probe(probe).finally(() => (this.probing = undefined));
      await this.probing;
    }
  }

  /** Why sending must wait now (from the state last read or written here), or nothing. */
  holding(): RelayHold | undefined {
    const row = this.row;
    if (!row) return undefined;
    if (row.state === RelayState.DOWN) {
      const failure = row.lastFailureStep ? `${row.lastFailureStep}: ${row.lastFailureReply ?? row.lastFailureDescription}` : 'unknown failure';
      return { reason: `waiting: the relay is down since ${row.since.toISOString()} (${failure}); it is probed with backoff, no attempt spent` };
    }
    if (this.paced(row)) {
      const reason = row.pacedReason ?? `paced until ${row.pacedUntil!.toISOString()}`;
      return { reason, until: row.pacedUntil!, ...(DAY_PACED.test(reason) && { dayBudget: true }) };
    }
    return undefined;
  }

  /**
   * When the relay last worked, as last read here: a mail accepted (written at most
   * once a second) or a probe passed. Null when never.
   */
  lastWorkedAt(): Date | null {
    return this.row?.lastSuccessAt ?? null;
  }

  /**
   * Takes one message from the relay's quota before a send; when the quota is
   * used up, paces every process until the window ends and says why.
   */
  reserve(settings: SmtpSettings): Promise<RelayHold | undefined> {
    const rate = this.row?.pacedRate ?? null;
    if (rate === null && !settings.quotaMessagesPerMinute && !settings.quotaRecipientsPerDay) return NO_HOLD; // no quota: nothing to take (every mail asks)
    return this.reserveFrom(settings, rate);
  }

  private async reserveFrom(settings: SmtpSettings, rate: number | null): Promise<RelayHold | undefined> {
    const slowed = rate !== null && (!settings.quotaMessagesPerMinute || rate < settings.quotaMessagesPerMinute);
    const limits = { messagesPerMinute: slowed ? rate : settings.quotaMessagesPerMinute, recipientsPerDay: settings.quotaRecipientsPerDay };
    const answer = await this.quota.reserve(limits, () => this.clock.now());
    if (answer.granted) return undefined;
    // How many wait is said once they are put back to wait (waitingChanged): a batch is held back one mail after the other.
    const why =
      slowed && answer.window === 'minute'
        ? `relay slowed down to ${rate} messages a minute after it asked to (${this.row?.pacedRateReply ?? 'a throttling reply'})`
        : answer.reason.replace('relay quota: ', 'relay quota ');
    const reason = `paced: ${why}; next at ${answer.until.toISOString()}`;
    await this.pace(answer.until, reason);
    return { reason, until: answer.until, ...(answer.window === 'day' && { dayBudget: true }) };
  }

  /** A mail went out: the relay works (a run of failures ends; a DEGRADED relay is OK again). */
  succeeded(): Promise<void> {
    this.failuresInARow = 0;
    const row = this.row;
    const now = this.clock.now();
    this.recentSends.push(now);
    if (this.recentSends.length > RECENT_SENDS_MAX) this.recentSends = this.recentSends.slice(-RECENT_SENDS_MAX / 2);
    const recovers = !!row && row.state === RelayState.DEGRADED;
    if (!recovers && !row?.throttleMs && now - this.lastSuccessWrite < SUCCESS_WRITE_INTERVAL_MS) return DONE; // most mails: nothing to write
    this.lastSuccessWrite = now;
    return this.recordSuccess(recovers);
  }

  private async recordSuccess(recovers: boolean): Promise<void> {
    await this.write({ lastSuccessAt: this.clock.date(), throttleMs: 0 });
    if (recovers) await this.change(RelayState.DEGRADED, RelayState.OK, {});
  }

  /** A relay-wide failure of a send: counts towards opening the circuit (a refused credential opens it at once). */
  async failed(failure: SmtpFailure): Promise<void> {
    this.failuresInARow++;
    const lastFailure = this.failureColumns(failure);
    const opensAtOnce = failure.opensCircuit || (!failure.transient && [SmtpCheckStep.AUTH, SmtpCheckStep.TOKEN, SmtpCheckStep.MAILBOX].includes(failure.step));
    if (opensAtOnce || this.failuresInARow >= this.config.relay.circuitThreshold) {
      // A reply that says when to come back (a used-up sending quota) is the first probe's wait, if longer.
      const waitMs = Math.max(this.config.relay.probeMinMs, Math.min(failure.retryAfterMs ?? 0, RETRY_AFTER_MAX_MS));
      const opened = await this.open(lastFailure, waitMs);
      if (opened) {
        const why = `${failure.step}: ${failure.reply ?? failure.description}`;
        this.logger.error(`the relay is DOWN (${why}${failure.advice ? `; ${failure.advice}` : ''}): mails wait, no attempt spent; probing in ${waitMs} ms`);
      } else await this.write(lastFailure);
      return;
    }
    await this.write(lastFailure);
    await this.change(RelayState.OK, RelayState.DEGRADED, {});
  }

  /**
   * The relay asked Herald to slow down (`sentAt`: when the mail it refused was
   * sent): every process sends half as many messages a minute from now — half the
   * pace it refused, or of the last halving when the mail went after it — and
   * pauses for the time it said (Graph's Retry-After), else for a sixtieth of the
   * minute, after which the quota's window holds mails back to the new pace.
   * Nothing is spent of the delivery.
   */
  async throttled(failure: SmtpFailure, sentAt?: number): Promise<RelayHold> {
    const now = this.clock.now();
    const reply = failure.reply ?? failure.description;
    const wasPaced = this.row ? this.slowed(this.row) : false;
    const rate = await this.halveRate(reply, sentAt ?? now, !failure.retryAfterMs).catch((e: Error) => {
      this.logger.warn(`could not slow the relay's rate down: ${e.message}`);
      return this.row?.pacedRate ?? 1;
    });
    const pauseMs = failure.retryAfterMs ? Math.min(failure.retryAfterMs, RETRY_AFTER_MAX_MS) : Math.ceil(this.quota.minute / 60);
    const until = new Date(now + pauseMs);
    const reason = `paced: the relay asks to slow down (${reply}): ${rate} messages a minute from now; next at ${until.toISOString()}`;
    await this.pace(until, reason, {}, wasPaced);
    return { reason, until };
  }

  /**
   * Halves the shared rate, once for the replies about mails sent before it changed
   * (several under way at once are refused together). The first halving starts from
   * the pace the relay saw: the messages of the quota's window, else this process's
   * sends of the last minute — counted into the window from now on (`countSends`), so that
   * the next mail waits until the relay's own window has room, unless the relay said
   * itself when to come back (Retry-After).
   */
  private async halveRate(reply: string, sentAt: number, countSends: boolean): Promise<number> {
    let row = await this.load();
    if (row.pacedRate !== null && row.pacedRateAt && sentAt < row.pacedRateAt.getTime()) return row.pacedRate;
    const now = this.clock.now();
    let from = row.pacedRate;
    let max = row.pacedRateMax;
    if (from === null) {
      const settings = await this.settings.get();
      const window = this.quota.minuteWindow;
      const mine = this.recentSends.filter((t) => t > now - window);
      const counted = settings.quotaMessagesPerMinute || settings.quotaRecipientsPerDay;
      if (!counted && countSends) await this.quota.record(mine);
      const seen = Math.max(mine.length, counted ? await this.quota.messagesInWindow(now) : 0, 1);
      from = settings.quotaMessagesPerMinute ? Math.min(seen, settings.quotaMessagesPerMinute) : seen;
      max = from;
    }
    const rate = Math.max(1, Math.floor(from / 2));
    const previousAt = row.pacedRateAt;
    const changed = await this.transactions.exclusive(() =>
      this.rows
        .createQueryBuilder()
        .update(RelayHealthEntity)
        .set({ pacedRate: rate, pacedRateMax: max, pacedRateAt: new Date(now), pacedRateReply: reply })
        .where(previousAt ? 'id = :id AND paced_rate_at = :at' : 'id = :id AND paced_rate_at IS NULL', { id: this.id, at: previousAt ? stored(previousAt) : null })
        .execute(),
    );
    row = await this.load();
    if (changed.affected) this.logger.warn(`the relay asks to slow down (${reply}): ${rate} messages a minute from now (was ${from})`);
    return row.pacedRate ?? rate;
  }

  /**
   * A whole window of the minute with no throttling reply: the rate grows by a
   * quarter (one process does it); at the pace the relay refused, or the quota, the limit ends.
   */
  private async growRate(row: RelayHealthEntity): Promise<RelayHealthEntity> {
    const at = row.pacedRateAt;
    const now = this.clock.now();
    if (row.pacedRate === null || !at || now - at.getTime() < this.quota.minuteWindow) return row;
    const settings = await this.settings.get();
    const next = row.pacedRate + Math.max(1, Math.ceil(row.pacedRate / 4));
    const ceiling = Math.min(row.pacedRateMax ?? Infinity, settings.quotaMessagesPerMinute || Infinity);
    const ends = next >= ceiling;
    const changed = await this.transactions.exclusive(() =>
      this.rows
        .createQueryBuilder()
        .update(RelayHealthEntity)
        .set(ends ? { pacedRate: null, pacedRateMax: null, pacedRateAt: null, pacedRateReply: null } : { pacedRate: next, pacedRateAt: new Date(now) })
        .where('id = :id AND paced_rate_at = :at', { id: this.id, at: stored(at) })
        .execute(),
    );
    if (changed.affected) this.logger.log(ends ? 'the relay took a clean minute at the pace it once refused: no slowdown any more' : `the relay took a clean minute: ${next} messages a minute from now`);
    return this.load();
  }

  /**
   * New settings: a relay that was down is probed at once (the new settings may well
   * fix it), and a slowdown ends (another relay, or other limits, perhaps).
   */
  async settingsChanged(): Promise<void> {
    this.failuresInARow = 0;
    const now = this.clock.date();
    await this.transactions.exclusive(() =>
      this.rows.update({ id: this.id, state: RelayState.DOWN }, { nextProbeAt: now, probeDelayMs: this.config.relay.probeMinMs, probeOwner: null, probeLeaseUntil: null }),
    );
    await this.transactions.exclusive(() => this.rows.update({ id: this.id }, { pacedRate: null, pacedRateMax: null, pacedRateAt: null, pacedRateReply: null }));
    await this.load();
  }

  /** The relay's state for relayStatus: read fresh, with the deliveries waiting. */
  async status(): Promise<RelayStatusSnapshot> {
    const [row, settings, waiting] = await Promise.all([this.load(), this.settings.get(), this.waitingSource()]);
    const paced = this.paced(row);
    let state = row.state as RelayState;
    if (!isConfigured(settings)) state = RelayState.NOT_CONFIGURED;
    else if (state === RelayState.OK && this.slowed(row)) state = RelayState.DEGRADED;
    return {
      state,
      since: row.since,
      lastSuccessAt: row.lastSuccessAt,
      lastFailure: this.lastFailure(row),
      deliveriesWaiting: waiting.count,
      oldestWaitingAt: waiting.oldest,
      pacedUntil: paced ? row.pacedUntil : null,
      pacedLastAt: paced && waiting.count ? this.lastPaced(row.pacedUntil!, waiting.count, settings) : null,
      pacedRate: row.pacedRate,
    };
  }

  /**
   * About when the last of `waiting` deliveries goes, sending from `from` at the
   * pace (the quota's or a slowdown's messages per window of the minute, a day's
   * recipients per day; one recipient a mail). Null without either.
   */
  private lastPaced(from: Date, waiting: number, settings: SmtpSettings): Date | null {
    const rate = this.row?.pacedRate ?? null;
    const perMinute = rate !== null && (!settings.quotaMessagesPerMinute || rate < settings.quotaMessagesPerMinute) ? rate : settings.quotaMessagesPerMinute;
    const perDay = settings.quotaRecipientsPerDay;
    if (!perMinute && !perDay) return null;
    const minutes = perMinute ? Math.ceil(waiting / perMinute) - 1 : 0;
    const days = perDay ? Math.ceil(waiting / perDay) - 1 : 0;
    return new Date(from.getTime() + Math.max(Math.round(minutes * this.quota.minuteWindow), days * 86_400_000));
  }

  /** One probe: the relay check (connect, EHLO, TLS, token, AUTH; no mail) under a lease only one process holds. */
  private async probe(check: RelayProbe): Promise<void> {
    const now = this.clock.date();
    const leased = await this.transactions.exclusive(() =>
      this.rows
        .createQueryBuilder()
        .update(RelayHealthEntity)
        .set({ probeOwner: this.owner, probeLeaseUntil: new Date(now.getTime() + PROBE_LEASE_MS) })
        .where('id = :id AND state = :down AND next_probe_at <= :now AND (probe_lease_until IS NULL OR probe_lease_until < :now)', {
          id: this.id,
          down: RelayState.DOWN,
          now: stored(now),
        })
        .execute(),
    );
    if (!leased.affected) return;
    const settings = await this.settings.get();
    const result = isConfigured(settings) ? await check(settings) : undefined;
    const failedStep = result?.steps.find((s) => s.status === SmtpCheckStatus.FAILED);
    if (result?.ok) {
      await this.close();
      return;
    }
    const delay = this.row!.probeDelayMs || this.config.relay.probeMinMs;
    const next = new Date(this.clock.now() + delay);
    const failure = failedStep
      ? { lastFailureStep: failedStep.step, lastFailureReply: replyOf(failedStep), lastFailureDescription: failedStep.message, lastFailureAt: this.clock.date() }
      : {};
    await this.transactions.exclusive(() =>
      this.rows.update(
        { id: this.id, probeOwner: this.owner },
        { ...failure, nextProbeAt: next, probeDelayMs: Math.min(2 * delay, this.config.relay.probeMaxMs), probeOwner: null, probeLeaseUntil: null },
      ),
    );
    await this.load();
    this.logger.warn(`relay probe failed${failedStep ? ` at ${failedStep.step}: ${replyOf(failedStep) ?? failedStep.message}` : ''}; next probe at ${next.toISOString()}`);
  }

  private async open(lastFailure: Partial<RelayHealthEntity>, waitMs = this.config.relay.probeMinMs): Promise<boolean> {
    const { probeMinMs } = this.config.relay;
    const now = this.clock.date();
    const previous = this.row?.state === RelayState.DEGRADED ? RelayState.DEGRADED : RelayState.OK;
    const result = await this.transactions.exclusive(() =>
      this.rows
        .createQueryBuilder()
        .update(RelayHealthEntity)
        .set({ ...lastFailure, state: RelayState.DOWN, since: now, nextProbeAt: new Date(now.getTime() + waitMs), probeDelayMs: 2 * probeMinMs, probeOwner: null, probeLeaseUntil: null })
        .where('id = :id AND state <> :down', { id: this.id, down: RelayState.DOWN })
        .execute(),
    );
    const row = await this.load();
    if (!result.affected) return false;
    await this.announce(RelayState.DOWN, previous, row);
    return true;
  }

  private async close(): Promise<void> {
    const now = this.clock.date();
    const result = await this.transactions.exclusive(() =>
      this.rows.update(
        { id: this.id, state: RelayState.DOWN },
        { state: RelayState.OK, since: now, lastSuccessAt: now, nextProbeAt: null, probeDelayMs: 0, probeOwner: null, probeLeaseUntil: null, throttleMs: 0 },
      ),
    );
    this.failuresInARow = 0;
    const row = await this.load();
    if (!result.affected) return;
    this.logger.log('relay probe succeeded: the relay is OK again; the mails that waited go out');
    await this.announce(RelayState.OK, RelayState.DOWN, row);
  }

  /** OK ⇄ DEGRADED, only from `from` (a DOWN relay is left to the probe). */
  private async change(from: RelayState, to: RelayState, columns: Partial<RelayHealthEntity>): Promise<void> {
    if (this.row?.state !== from) return;
    const result = await this.transactions.exclusive(() => this.rows.update({ id: this.id, state: from }, { ...columns, state: to, since: this.clock.date() }));
    const row = await this.load();
    if (result.affected && !(to === RelayState.OK && this.slowed(row))) await this.announce(to, from, row);
  }

  private async pace(until: Date, reason: string, columns: Partial<RelayHealthEntity> = {}, wasPaced = this.row ? this.slowed(this.row) : false): Promise<void> {
    await this.write({ ...columns, pacedUntil: until, pacedReason: reason });
    this.logger.warn(reason);
    if (!wasPaced && this.row!.state === RelayState.OK) {
      this.pacing = true;
      await this.announce(RelayState.DEGRADED, RelayState.OK, this.row!);
    }
  }

  private paced(row: RelayHealthEntity): boolean {
    return !!row.pacedUntil && row.pacedUntil.getTime() > this.clock.now();
  }

  /** Paced now, or sending at a slowdown's rate (DEGRADED either way). */
  private slowed(row: RelayHealthEntity): boolean {
    return this.paced(row) || row.pacedRate !== null;
  }

  private async write(columns: Partial<RelayHealthEntity>): Promise<void> {
    await this.transactions.exclusive(() => this.rows.update({ id: this.id }, columns));
    await this.load();
  }

  private async load(): Promise<RelayHealthEntity> {
    this.row = await this.rows.findOneByOrFail({ id: this.id });
    return this.row;
  }

  private failureColumns(failure: SmtpFailure): Partial<RelayHealthEntity> {
    return {
      lastFailureStep: failure.step,
      lastFailureReply: failure.reply,
      lastFailureDescription: failure.advice ? `${failure.description}; ${failure.advice}` : failure.description,
      lastFailureAt: this.clock.date(),
    };
  }

  private lastFailure(row: RelayHealthEntity): RelayFailure | null {
    if (!row.lastFailureStep || !row.lastFailureAt) return null;
    return { step: row.lastFailureStep as SmtpCheckStep, reply: row.lastFailureReply, description: row.lastFailureDescription ?? '', at: row.lastFailureAt };
  }

  /**
   * Tells the listeners (alerts, metrics, readiness) of a change, one announcement at
   * a time in the order asked, each checked against the row read afresh: one that a
   * later change has overtaken is dropped, that change announcing itself. Without
   * this, a DEGRADED written just before a DOWN could be heard after it, and the
   * alerts took it for the end of the outage.
   */
  private announce(state: RelayState, previous: RelayState, row: RelayHealthEntity, byThisProcess = true): Promise<void> {
    if (!this.announces) return Promise.resolve();
    const announced = this.announcing.then(async () => {
      const waiting = await this.waitingSource().catch(() => ({ count: 0, oldest: null }));
      const current = await this.load().catch(() => row);
      if (this.shownState(current) !== state || (!byThisProcess && this.told === state)) return;
      this.told = state;
      this.events.emit(RelayStateChangedEvent.NAME, new RelayStateChangedEvent(state, previous, current.since, this.lastFailure(current), waiting.count, byThisProcess));
    });
    this.announcing = announced.catch(() => undefined);
    return announced;
  }

  /**
   * A change another process made to the shared row (it opened or closed the circuit,
   * paced or stopped): announced here too, so that this process's readiness and
   * metrics follow, and an outage this process announced ends here when another
   * process's probe closes it. At the first sweep: only a state other than OK.
   */
  private async announceSeen(row: RelayHealthEntity): Promise<void> {
    const shown = this.shownState(row);
    if (shown === (this.told ?? RelayState.OK)) return;
    await this.announce(shown, this.told ?? RelayState.OK, row, false);
  }

  /** The state a row shows: OK while paced or slowed is DEGRADED. */
  private shownState(row: RelayHealthEntity): RelayState {
    return row.state === RelayState.OK && this.slowed(row) ? RelayState.DEGRADED : (row.state as RelayState);
  }
}

/** A failed check step's reply as the relay gave it (`535 5.7.8 …`). */
function replyOf(step: { responseCode?: number; response?: string }): string | null {
  if (!step.response) return null;
  return step.responseCode && !step.response.startsWith(String(step.responseCode)) ? `${step.responseCode} ${step.response}` : step.response;
}
