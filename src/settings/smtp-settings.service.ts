import { isIP } from 'node:net';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { DataSource, In } from 'typeorm';
import { SecretCipher, SecretDecryptionError } from '../../libs/crypto/src';
import { Clock, type Timer } from '../clock/clock';
import { HeraldConfig } from '../config/herald-config';
import { Transactions } from '../database/transactions';
import { BadUserInputError, FieldProblem } from '../graphql/graphql-errors';
import { UpdateSmtpSettingsInput } from './dto/update-smtp-settings.input';
import { PropertyEntity } from './property.entity';
import { SmtpSecurity, type SmtpSettings } from './smtp-settings';
import { SmtpSettingsChangedEvent } from './smtp-settings-changed.event';
import { SETTINGS_FIELDS, SETTINGS_KEYS, settingsFromRows, toRowValue } from './smtp-settings.keys';

type SettingsValues = Omit<SmtpSettings, 'updatedAt' | 'updatedBy'>;
const KEYS = SETTINGS_FIELDS.map((f) => SETTINGS_KEYS[f].key);

/**
 * The SMTP settings: read (cached; the database is the truth), changed through
 * GraphQL with every field validated, and turned into transport options. The
 * password is decrypted only in `transportOptions`, never returned or logged.
 *
 * A change made here is announced at once; one made by another Herald process
 * on the same database is noticed by a cheap re-read every few seconds.
 */
@Injectable()
export class SmtpSettingsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SmtpSettings');
  private cached?: SmtpSettings;
  private refreshTimer?: Timer;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly events: EventEmitter2,
    private readonly config: HeraldConfig,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.refreshTimer = this.clock.every(this.config.settingsRefreshIntervalMs, () => void this.refresh());
  }

  onModuleDestroy(): void {
    this.refreshTimer?.cancel();
  }

  /** Re-reads the settings; announces them if another process changed them. */
  async refresh(): Promise<void> {
    if (!this.cached) return;
    try {
      const fresh = await this.load();
      if (JSON.stringify(fresh) === JSON.stringify(this.cached)) return;
      this.cached = fresh;
      this.logger.log(`settings changed elsewhere (by ${fresh.updatedBy ?? 'unknown'}); using them from now on`);
      this.events.emit(SmtpSettingsChangedEvent.NAME, new SmtpSettingsChangedEvent(fresh));
    } catch (error) {
      this.logger.warn(`could not re-read the settings: ${(error as Error).message}`);
    }
  }

  async get(): Promise<SmtpSettings> {
    this.cached ??= await this.load();
    return this.cached;
  }

  /** Applies a partial update; invalid input changes nothing. Emits SmtpSettingsChangedEvent. */
  async update(input: UpdateSmtpSettingsInput, actor: string): Promise<SmtpSettings> {
    const current = await this.load();
    const next = this.merge(current, input);
    const changed = SETTINGS_FIELDS.filter((f) => toRowValue(next[f]) !== toRowValue(current[f]));
    if (changed.length === 0) return current;

    await this.writeRows(changed, next, actor, 'replace');
    this.cached = await this.load();
    this.logger.log(`settings changed by ${actor}: ${changed.map((f) => SETTINGS_KEYS[f].key).join(', ')}`);
    this.events.emit(SmtpSettingsChangedEvent.NAME, new SmtpSettingsChangedEvent(this.cached));
    return this.cached;
  }

  /**
   * First-start seed: writes the given values for keys that have no row yet.
   * Keys already in the database are left alone (the database is the truth).
   * Returns the keys written.
   */
  async seed(input: UpdateSmtpSettingsInput, actor: string): Promise<string[]> {
    const current = await this.load();
    const next = this.merge(current, input);
    const existing = new Set((await this.dataSource.getRepository(PropertyEntity).find({ select: { key: true } })).map((r) => r.key));
    const missing = SETTINGS_FIELDS.filter((f) => !existing.has(SETTINGS_KEYS[f].key));
    await this.writeRows(missing, next, actor, 'insert-missing');
    this.cached = await this.load();
    return missing.map((f) => SETTINGS_KEYS[f].key);
  }

  /** Saved settings with unsaved changes laid over them, validated as a whole (for checks). */
  async preview(input: UpdateSmtpSettingsInput | undefined): Promise<SmtpSettings> {
    const current = await this.get();
    return input ? { ...current, ...this.merge(current, input) } : current;
  }

  /** nodemailer SMTP options for these settings, with the password decrypted. */
  transportOptions(settings: SmtpSettings): SMTPTransport.Options {
    const host = settings.host ?? undefined;
    return {
      host,
      port: settings.port,
      secure: settings.security === SmtpSecurity.TLS,
      requireTLS: settings.security === SmtpSecurity.STARTTLS,
      ignoreTLS: settings.security === SmtpSecurity.NONE,
      auth:
        settings.authEnabled && settings.username
          ? { user: settings.username, pass: settings.encryptedPassword ? this.cipher.decrypt(settings.encryptedPassword) : '' }
          : undefined,
      tls: {
        rejectUnauthorized: settings.verifyCertificate,
        ca: settings.caCertificate ?? undefined,
        servername: host && !isIP(host) ? host : undefined,
        minVersion: 'TLSv1.2',
      },
      connectionTimeout: settings.connectionTimeoutMs,
      greetingTimeout: settings.greetingTimeoutMs,
      socketTimeout: settings.socketTimeoutMs,
    };
  }

  private async load(): Promise<SmtpSettings> {
    const rows = await this.dataSource.getRepository(PropertyEntity).findBy({ key: In(KEYS) });
    return settingsFromRows(rows);
  }

  /** The values after `input`, checked as a whole. Throws BadUserInputError naming each bad field. */
  private merge(current: SmtpSettings, input: UpdateSmtpSettingsInput): SettingsValues {
    const { password, ...rest } = input;
    const next: SettingsValues = { ...current };
    for (const [field, value] of Object.entries(rest) as [keyof UpdateSmtpSettingsInput, unknown][]) {
      if (value === undefined) continue;
      (next as unknown as Record<string, unknown>)[field] = value === '' ? null : value;
    }
    const problems: FieldProblem[] = [];
    if (password !== undefined) {
      try {
        next.encryptedPassword = password ? this.cipher.seal(password) : null;
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        problems.push({ field: 'password', message: `the ENC(...) value ${error.message.replace(/^cannot decrypt the secret: /, 'cannot be decrypted: ')}` });
      }
    }
    if (input.host === null) problems.push({ field: 'host', message: 'cannot be cleared; set another host' });
    if (next.authEnabled && next.host && !next.username) {
      problems.push({ field: 'username', message: 'is required when authEnabled is true' });
    }
    if (problems.length) throw new BadUserInputError(problems);
    return next;
  }

  private async writeRows(
    fields: (keyof SettingsValues)[],
    values: SettingsValues,
    actor: string,
    mode: 'replace' | 'insert-missing',
  ): Promise<void> {
    if (fields.length === 0) return;
    const now = this.clock.date();
    const rows = fields.map((f) => ({ key: SETTINGS_KEYS[f].key, value: toRowValue(values[f]), updatedAt: now, updatedBy: actor }));
    await this.transactions.run(async (manager) => {
      const insert = manager.createQueryBuilder().insert().into(PropertyEntity).values(rows);
      if (mode === 'replace') insert.orUpdate(['value', 'updated_at', 'updated_by'], ['key']);
      else insert.orIgnore();
      await insert.execute();
    });
  }
}
