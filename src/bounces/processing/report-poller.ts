import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SecretDecryptionError } from '@herald/crypto';
import { Clock, type Timer } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import { DeliveryBounces } from '../../notifications/delivery-log/delivery-bounces';
import { DeliveryStatus } from '../../notifications/entities/delivery.entity';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { MailboxAuthMethod, ReportMailboxProtocol, type ReportMailboxSettings } from '../../settings/report-mailbox/report-mailbox-settings';
import { ReportMailboxSettingsChangedEvent, ReportMailboxSettingsService } from '../../settings/report-mailbox/report-mailbox-settings.service';
import { isOAuth2 } from '../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { type AccessTokens, SmtpGateway } from '../../smtp/smtp-gateway';
import { AddressSuspensions } from '../../users/suspensions/address-suspensions';
import { SuspensionSummary } from '../alerts/suspension-summary';
import { ReportMailboxHealth } from '../mailbox-status/report-mailbox-health';
import { ReportMailboxState } from '../mailbox-status/report-mailbox-status.model';
import { MailboxError, type MailboxLogin, REPORT_MAILBOX_OPENERS, type ReportMailbox, type ReportMailboxOpener } from '../mailbox/report-mailbox';
import { BounceRecorder, isHeraldMessageId } from '../recording/bounce-recorder';
import { readReport } from '../reports/read-report';
import type { ReportReading } from '../reports/report-reading';
import type { ReportState } from './bounce-report.entity';
import { type Claim, LostClaimError, ReportClaims } from './report-claims';

/** A report larger than this is not read: set aside as too large (a Herald mail returned whole is tens of kB). */
export const MAX_REPORT_BYTES = 4 * 1024 * 1024;
/** How often the poller looks whether a poll is due (the interval itself is a setting, in seconds). */
const TICK_MS = 1_000;
/** How long a process holds a report it is reading before another may take it over. */
const CLAIM_LEASE_MS = 5 * 60_000;
/** Reports read per look at most (the rest at the next). */
const BATCH = 100;
/** Connecting to and answering of the mailbox server. */
const MAILBOX_TIMEOUT_MS = 30_000;

/**
 * Reads the report mailbox every `pollIntervalSeconds`: each message not handled
 * yet is claimed (bounce_reports: one process per report), read (readReport),
 * recorded (a bounce on its delivery and address, with the claim, in one
 * transaction), then moved to the processed folder — or to the aside folder when
 * Herald cannot read it, with the reason; a person's mail is left where it is. A
 * mailbox that cannot be reached or refuses the login is reported in
 * relayStatus.reportMailbox and tried again at the next poll; nothing here stops
 * Herald. Each poll also settles the addresses whose one mail after the cooldown
 * is out: taken back once it went out and BOUNCE_RETRY_WAIT passed without a bounce.
 */
@Injectable()
export class ReportPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ReportMailbox');
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: Timer;
  private polling?: Promise<void>;
  private nextPollAt = 0;
  private stopping = false;
  /** The token source of the OAuth2 login, kept while the settings that made it stay the same. */
  private tokens?: { key: string; source: AccessTokens };
  /** The last look's login was refused: with OAuth2 the next asks for a new token. */
  private refused = false;
  /** The settings changed during a look: another follows it at once. */
  private pollAgain = false;

  constructor(
    private readonly settings: ReportMailboxSettingsService,
    private readonly smtpSettings: SmtpSettingsService,
    private readonly smtp: SmtpGateway,
    @Inject(REPORT_MAILBOX_OPENERS) private readonly openers: ReportMailboxOpener[],
    private readonly claims: ReportClaims,
    private readonly recorder: BounceRecorder,
    private readonly health: ReportMailboxHealth,
    private readonly suspensions: AddressSuspensions,
    private readonly deliveries: DeliveryBounces,
    private readonly summary: SuspensionSummary,
    private readonly transactions: Transactions,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  onApplicationBootstrap(): void {
    // Processes started together do not all look at the same instant.
    this.nextPollAt = this.clock.now() + Math.floor(Math.random() * TICK_MS);
    this.timer = this.clock.every(TICK_MS, () => this.tick());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.timer?.cancel();
    await this.polling;
    this.tokens?.source.close();
  }

  /** New settings here: look at once (after the look running now, if any). */
  @OnEvent(ReportMailboxSettingsChangedEvent.NAME)
  onSettingsChanged(): void {
    this.nextPollAt = 0;
    this.pollAgain = !!this.polling;
    this.tick();
  }

  /** Polls when due, one poll at a time. Resolves when the poll it started (or the one running) ends. */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.polling || this.clock.now() < this.nextPollAt) return this.polling ?? Promise.resolve();
    this.polling = this.poll()
      .catch((error: Error) => this.logger.error(`the report mailbox poll failed: ${error.message}`))
      .finally(() => this.polled());
    return this.polling;
  }

  /** The next look is an interval after this one ended, by the settings as they are now (or at once, if they changed meanwhile). */
  private async polled(): Promise<void> {
    const interval = await this.settings.get().then((s) => s.pollIntervalSeconds * 1000, () => 60_000);
    this.nextPollAt = this.pollAgain ? 0 : this.clock.now() + interval;
    this.pollAgain = false;
    this.polling = undefined;
    if (this.nextPollAt === 0) void this.tick();
  }

  private async poll(): Promise<void> {
    const settings = await this.settings.get();
    await this.settleRetries().catch((error: Error) => this.logger.warn(`could not settle the suspensions being tried again: ${error.message}`));
    if (settings.protocol === ReportMailboxProtocol.NONE || (settings.protocol === ReportMailboxProtocol.IMAP && !settings.host)) return this.health.notConfigured();
    const opener = this.openers.find((o) => o.protocol === settings.protocol);
    if (!opener) return this.health.failed(ReportMailboxState.DOWN, `no reader for ${settings.protocol} mailboxes in this version of Herald`);
    let mailbox: ReportMailbox;
    try {
      mailbox = await opener.open(await this.withGraphUrl(settings), await this.loginOf(settings), MAILBOX_TIMEOUT_MS);
      this.refused = false;
    } catch (error) {
      this.refused = error instanceof MailboxError && error.kind === 'LOGIN_REFUSED';
      return this.failed(error);
    }
    try {
      await this.readAll(mailbox);
      await this.health.read(mailbox.id);
      this.metrics?.reportMailboxPolled(true);
    } catch (error) {
      await this.failed(error);
    } finally {
      await mailbox.close().catch(() => undefined);
      await this.summary.flush(); // the admins: one summary of what this look suspended
    }
  }

  private async failed(error: unknown): Promise<void> {
    this.metrics?.reportMailboxPolled(false);
    const state = error instanceof MailboxError && error.kind === 'LOGIN_REFUSED' ? ReportMailboxState.LOGIN_REFUSED : ReportMailboxState.DOWN;
    await this.health.failed(state, ((error as Error).message ?? String(error)).split('\n')[0].slice(0, 1000));
  }

  private async readAll(mailbox: ReportMailbox): Promise<void> {
    const keys = await mailbox.list();
    const settled = await this.claims.settled(mailbox.id, keys);
    for (const key of keys.filter((k) => !settled.has(k)).slice(0, BATCH)) {
      if (this.stopping) return;
      await this.handle(mailbox, key);
    }
  }

  /** One message: claimed, read and recorded, then moved — or left to the process that holds it. */
  private async handle(mailbox: ReportMailbox, key: string): Promise<void> {
    const claim = await this.claims.claim(mailbox.id, key, this.owner, CLAIM_LEASE_MS);
    if (!claim) return;
    let state: ReportState;
    try {
      state = claim.state === 'CLAIMED' ? await this.read(mailbox, key, claim) : claim.state;
    } catch (error) {
      if (error instanceof LostClaimError) return; // another process took it over: it records it
      throw error;
    }
    if (state === 'MOVE') await mailbox.moveToProcessed(key);
    if (state === 'ASIDE') await mailbox.setAside(key);
    if (state !== 'DONE') await this.claims.done(claim.id);
  }

  /** Reads the report and records what it says with the claim: what is left to do with the mail. */
  private async read(mailbox: ReportMailbox, key: string, claim: Claim): Promise<ReportState> {
    const fetched = await mailbox.fetch(key, MAX_REPORT_BYTES);
    if (!fetched) return this.finish(claim, { state: 'DONE', outcome: 'GONE' }); // moved or deleted by someone else meanwhile
    const reading: ReportReading =
      'tooLarge' in fetched
        ? { kind: 'UNREADABLE', subject: null, reason: `larger than ${MAX_REPORT_BYTES} bytes (${fetched.tooLarge}): not read` }
        : await readReport(fetched.raw).catch((error: Error) => ({ kind: 'UNREADABLE' as const, subject: null, reason: `Herald could not read it: ${error.message}` }));
    this.metrics?.bounceReportRead(reading.kind);
    switch (reading.kind) {
      case 'BOUNCE': {
        let state: ReportState = 'DONE';
        await this.recorder.record(reading, async (manager, recorded) => {
          state = recorded.outcome === 'NOT_HERALDS' ? 'DONE' : 'MOVE';
          const deliveryId = 'deliveryId' in recorded ? recorded.deliveryId : null;
          await this.claims.finish(manager, claim.id, this.owner, { state, outcome: recorded.outcome, subject: reading.subject, deliveryId });
        });
        return state;
      }
      case 'NOTICE':
      case 'AUTO_REPLY': {
        // About one of Herald's mails: handled (moved); about someone else's: left to the mailbox's people.
        const state = reading.originalMessageId && isHeraldMessageId(reading.originalMessageId) ? 'MOVE' : 'DONE';
        return this.finish(claim, { state, outcome: reading.kind, subject: reading.subject });
      }
      case 'NOT_A_REPORT':
        return this.finish(claim, { state: 'DONE', outcome: reading.kind, subject: reading.subject });
      case 'UNREADABLE': {
        this.logger.warn(`a report was set aside (${reading.reason})${reading.subject ? `: "${reading.subject}"` : ''}`);
        const state = await this.finish(claim, { state: 'ASIDE', outcome: reading.kind, reason: reading.reason, subject: reading.subject });
        await this.health.setAside(reading.reason, reading.subject);
        return state;
      }
    }
  }

  private async finish(claim: Claim, finished: Parameters<ReportClaims['finish']>[3]): Promise<ReportState> {
    await this.transactions.run((manager) => this.claims.finish(manager, claim.id, this.owner, finished));
    return finished.state;
  }

  /** The settings with Graph's root: the mailbox's own, else the mail settings' graphEndpoint (the Graph transport's). */
  private async withGraphUrl(settings: ReportMailboxSettings): Promise<ReportMailboxSettings> {
    return settings.graphUrl ? settings : { ...settings, graphUrl: (await this.smtpSettings.get()).graphEndpoint };
  }

  /** How to sign in: the mailbox's password, or a token of the relay's OAuth2 client for the mailbox's user. */
  private async loginOf(settings: ReportMailboxSettings): Promise<MailboxLogin> {
    const relay = await this.smtpSettings.get();
    const username = settings.username ?? relay.username ?? '';
    if (settings.authMethod === MailboxAuthMethod.PASSWORD) {
      try {
        return { username, password: this.settings.password(settings) ?? '' };
      } catch (error) {
        if (error instanceof SecretDecryptionError) throw new MailboxError('LOGIN_REFUSED', "the stored mailbox password cannot be decrypted with this server's key: set it again");
        throw error;
      }
    }
    if (!isOAuth2(relay.authMethod)) throw new MailboxError('LOGIN_REFUSED', `authMethod OAUTH2 uses the relay's OAuth2 client, but smtpSettings' authMethod is ${relay.authMethod}`);
    // Microsoft Graph is another resource than the relay's: its own scope (Graph's origin).
    const scope = settings.protocol === ReportMailboxProtocol.GRAPH ? `${new URL((await this.withGraphUrl(settings)).graphUrl!).origin}/.default` : undefined;
    const key = JSON.stringify([relay, username, scope]);
    if (this.tokens?.key !== key) {
      this.tokens?.source.close();
      this.tokens = { key, source: this.smtp.oauth2Tokens(relay, username, scope) };
    }
    const source = this.tokens.source;
    const renew = this.refused; // the server refused the token it was given: a new one (revoked, or a permission added since)
    return { username, accessToken: () => source.token(renew) };
  }

  /**
   * The addresses whose one mail after the cooldown is out: taken back once it was
   * SENT and BOUNCE_RETRY_WAIT passed without a bounce; another cooldown when it
   * was not sent (FAILED, or BOUNCED soft). A hard bounce of it renews the
   * suspension when recorded.
   */
  private async settleRetries(): Promise<void> {
    const out = await this.suspensions.retriesOut();
    if (!out.length) return;
    const statuses = await this.deliveries.statuses(out.map((r) => r.deliveryId));
    const now = this.clock.now();
    for (const { address, deliveryId } of out) {
      const delivery = statuses.get(deliveryId);
      if (delivery?.status === DeliveryStatus.SENT && delivery.sentAt && now - delivery.sentAt.getTime() >= this.config.bounces.retryWaitMs) {
        await this.suspensions.lift(address, { id: 'system', name: 'bounce reader' }, `the mail after the cooldown (delivery ${deliveryId}) went out without a bounce`, false);
      } else if (!delivery || delivery.status === DeliveryStatus.FAILED || delivery.status === DeliveryStatus.BOUNCED) {
        await this.suspensions.retryNotSent(address, deliveryId);
      }
    }
  }
}
