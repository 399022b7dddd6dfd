import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { SecretCipher } from '@herald/crypto';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import { BadUserInputError, type FieldProblem } from '../../graphql/graphql-errors';
import type { AuditActor } from '../audit-log/audit-actor';
import { AuditKind } from '../audit-log/audit-kind';
import { AuditLog, fieldChange, secretChange } from '../audit-log/audit-log.service';
import { CachedSettings, upsertProperties } from '../cached-settings';
import { PropertyEntity } from '../property.entity';
import { sealSecret } from '../sealed-secret';
import { isOAuth2 } from '../smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../smtp-settings/smtp-settings.service';
import {
  MailboxAuthMethod,
  REPORT_MAILBOX_DEFAULTS,
  REPORT_MAILBOX_FIELDS,
  REPORT_MAILBOX_KEYS,
  ReportMailboxProtocol,
  type ReportMailboxSettings,
  type ReportMailboxValues,
} from './report-mailbox-settings';
import type { UpdateReportMailboxSettingsInput } from './update-report-mailbox-settings.input';

const KEYS = REPORT_MAILBOX_FIELDS.map((f) => REPORT_MAILBOX_KEYS[f].key);

/** Announced in this process when the report mailbox settings changed here: the reader looks at once. */
export class ReportMailboxSettingsChangedEvent {
  static readonly NAME = 'settings.report-mailbox-changed';
}

function rowValue(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * The report mailbox settings, rows of `properties` beside the SMTP settings:
 * read (cached, re-read every SETTINGS_REFRESH_INTERVAL_MS for changes made
 * through another process), changed through GraphQL with every field checked and
 * an audit entry (REPORT_MAILBOX; the password only named). The password is
 * stored encrypted and decrypted only by `password`, for the mailbox reader.
 */
@Injectable()
export class ReportMailboxSettingsService extends CachedSettings<ReportMailboxSettings> {
  protected readonly logger = new Logger('ReportMailboxSettings');
  protected readonly what = 'the report mailbox settings';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    config: HeraldConfig,
    private readonly transactions: Transactions,
    clock: Clock,
    private readonly audit: AuditLog,
    private readonly smtp: SmtpSettingsService,
    private readonly events: EventEmitter2,
  ) {
    super(clock, config);
  }

  /** Applies a partial update (absent keeps, null clears), checked as a whole; invalid input changes nothing. */
  async update(input: UpdateReportMailboxSettingsInput, actor: AuditActor): Promise<ReportMailboxSettings> {
    const relay = await this.smtp.get();
    const changed = await this.transactions.run(async (manager) => {
      const current = await this.load(manager);
      const next = this.merge(current, input, relay);
      const changed = REPORT_MAILBOX_FIELDS.filter((f) => rowValue(next[f]) !== rowValue(current[f]));
      if (!changed.length) return changed;
      const at = this.clock.date();
      const rows = changed.map((f) => ({ key: REPORT_MAILBOX_KEYS[f].key, value: rowValue(next[f]), updatedAt: at, updatedBy: actor.id }));
      await upsertProperties(manager, rows);
      const fields = changed.map((f) => (f === 'encryptedPassword' ? secretChange('password') : fieldChange(f, rowValue(current[f]), rowValue(next[f]))));
      await this.audit.record(manager, { kind: AuditKind.REPORT_MAILBOX, target: 'reportMailboxSettings', actor, at, fields });
      return changed;
    });
    this.cached = await this.load();
    if (changed.length) {
      this.logger.log(`report mailbox settings changed by ${actor.id}: ${changed.map((f) => REPORT_MAILBOX_KEYS[f].key).join(', ')}`);
      this.events.emit(ReportMailboxSettingsChangedEvent.NAME, new ReportMailboxSettingsChangedEvent());
    }
    return this.cached;
  }

  /** The password in clear, for the mailbox reader; throws SecretDecryptionError when this server's key cannot read it. */
  password(settings: ReportMailboxSettings): string | null {
    return settings.encryptedPassword ? this.cipher.decrypt(settings.encryptedPassword) : null;
  }

  protected async load(manager: EntityManager = this.dataSource.manager): Promise<ReportMailboxSettings> {
    const rows = await manager.getRepository(PropertyEntity).findBy({ key: In(KEYS) });
    const settings: Record<string, unknown> = { ...REPORT_MAILBOX_DEFAULTS, updatedAt: null, updatedBy: null };
    let latest: PropertyEntity | undefined;
    for (const field of REPORT_MAILBOX_FIELDS) {
      const row = rows.find((r) => r.key === REPORT_MAILBOX_KEYS[field].key);
      if (!row) continue;
      settings[field] = row.value === null ? null : REPORT_MAILBOX_KEYS[field].parse(row.value);
      if (!latest || row.updatedAt > latest.updatedAt) latest = row;
    }
    if (latest) Object.assign(settings, { updatedAt: latest.updatedAt, updatedBy: latest.updatedBy });
    return settings as unknown as ReportMailboxSettings;
  }

  /** The values after `input`, checked as a whole. Throws BadUserInputError naming each bad field. */
  private merge(current: ReportMailboxSettings, input: UpdateReportMailboxSettingsInput, relay: Awaited<ReturnType<SmtpSettingsService['get']>>): ReportMailboxValues {
    const next: ReportMailboxValues = { ...current };
    const problems: FieldProblem[] = [];
    for (const [field, value] of Object.entries(input) as [keyof UpdateReportMailboxSettingsInput, unknown][]) {
      if (value === undefined) continue;
      if (field === 'password') next.encryptedPassword = sealSecret(this.cipher, 'password', value as string | null, current.encryptedPassword, problems);
      else (next as unknown as Record<string, unknown>)[field] = value === '' ? null : value;
    }
    for (const folder of ['folder', 'processedFolder', 'asideFolder'] as const) {
      if (next[folder] === null) problems.push({ field: folder, message: 'cannot be cleared; name a folder' });
    }
    // Fields that always have a value (answered as non-null; a poll interval of null polled without pause).
    for (const field of ['protocol', 'port', 'security', 'authMethod', 'pollIntervalSeconds', 'verifyCertificate'] as const) {
      if (next[field] === null) problems.push({ field, message: 'cannot be cleared; give a value (absent keeps it)' });
    }
    if (next.processedFolder === next.folder) problems.push({ field: 'processedFolder', message: 'must not be the folder reports arrive in' });
    if (next.asideFolder === next.folder) problems.push({ field: 'asideFolder', message: 'must not be the folder reports arrive in' });
    if (next.protocol === ReportMailboxProtocol.GRAPH) {
      if (next.authMethod !== MailboxAuthMethod.OAUTH2) problems.push({ field: 'authMethod', message: "must be OAUTH2 with GRAPH: Microsoft Graph takes the relay's OAuth2 client's tokens only" });
      else if (!isOAuth2(relay.authMethod)) problems.push({ field: 'authMethod', message: `OAUTH2 uses the relay's OAuth2 client, but smtpSettings' authMethod is ${relay.authMethod}` });
      if (!next.username && !relay.username) problems.push({ field: 'username', message: "is required: the relay has no username to read the sender's mailbox as" });
    }
    if (next.protocol === ReportMailboxProtocol.IMAP) {
      if (!next.host) problems.push({ field: 'host', message: 'is required when protocol is IMAP' });
      if (!next.username && !relay.username) problems.push({ field: 'username', message: "is required: the relay has no username to read the sender's mailbox as" });
      if (next.authMethod === MailboxAuthMethod.PASSWORD && !next.encryptedPassword) problems.push({ field: 'password', message: 'is required when authMethod is PASSWORD' });
      if (next.authMethod === MailboxAuthMethod.OAUTH2 && !isOAuth2(relay.authMethod)) {
        problems.push({ field: 'authMethod', message: `OAUTH2 uses the relay's OAuth2 client, but smtpSettings' authMethod is ${relay.authMethod}` });
      }
    }
    if (problems.length) throw new BadUserInputError(problems);
    return next;
  }
}
