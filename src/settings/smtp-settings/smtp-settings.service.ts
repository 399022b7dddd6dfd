import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { SecretCipher } from '@herald/crypto';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { insertedRows } from '../../database/inserted-rows';
import { Transactions } from '../../database/transactions';
import { BadUserInputError, FieldProblem } from '../../graphql/graphql-errors';
import { type AuditActor } from '../audit-log/audit-actor';
import { type AuditFieldChange } from '../audit-log/audit-entry.entity';
import { AuditKind } from '../audit-log/audit-kind';
import { AuditLog, fieldChange, secretChange } from '../audit-log/audit-log.service';
import { UpdateSmtpSettingsInput } from './update-smtp-settings.input';
import { CachedSettings, upsertProperties } from '../cached-settings';
import { PropertyEntity } from '../property.entity';
import { sealSecret } from '../sealed-secret';
import { parseServiceAccountKey } from './service-account-key';
import { MailTransportKind, SMTP_DEFAULTS, SmtpAuthMethod, type SmtpSettings } from './smtp-settings';
import { SmtpSettingsChangedEvent } from './smtp-settings-changed.event';
import { primaryKeyOf, SETTINGS_FIELDS, type SettingsKeyOf, settingsFromRows, toRowValue } from './smtp-settings.keys';

export type SettingsValues = Omit<SmtpSettings, 'updatedAt' | 'updatedBy'>;

/** Inputs that are secrets, and the encrypted field each is stored in. */
const SECRET_FIELDS = {
  password: 'encryptedPassword',
  oauth2ClientSecret: 'encryptedOAuth2ClientSecret',
  oauth2PrivateKey: 'encryptedOAuth2PrivateKey',
  oauth2ServiceAccountKey: 'encryptedOAuth2ServiceAccountKey',
  oauth2RefreshToken: 'encryptedOAuth2RefreshToken',
} as const satisfies Partial<Record<keyof UpdateSmtpSettingsInput, keyof SettingsValues>>;
type SecretInput = keyof typeof SECRET_FIELDS;
/** Encrypted field → the input (and audit) name of its secret. */
const SECRET_NAMES = new Map<keyof SettingsValues, SecretInput>(Object.entries(SECRET_FIELDS).map(([input, stored]) => [stored, input as SecretInput]));

/**
 * Fields that always have a value: null cannot clear them (the API answers them as
 * non-null, and the transports read them). `host` has its own message; `graphEndpoint`
 * given null is its default again.
 */
const NOT_CLEARABLE = [
  'transport', 'port', 'security', 'authEnabled', 'authMethod', 'verifyCertificate', 'connectionTimeoutMs', 'greetingTimeoutMs', 'socketTimeoutMs', 'poolSize',
] as const satisfies readonly (keyof UpdateSmtpSettingsInput & keyof SettingsValues)[];

/** The `properties` row of one field. */
function row(keyOf: SettingsKeyOf, field: keyof SettingsValues, values: SettingsValues, updatedBy: string, at: Date): PropertyEntity {
  return { key: keyOf(field), value: toRowValue(values[field]), updatedAt: at, updatedBy };
}

/** The fields of a change as the audit log tells them: by their API name, a secret only named. */
export function auditFields(fields: (keyof SettingsValues)[], before: SettingsValues, after: SettingsValues): AuditFieldChange[] {
  return fields.map((f) => {
    const secret = SECRET_NAMES.get(f);
    return secret ? secretChange(secret) : fieldChange(f, toRowValue(before[f]), toRowValue(after[f]));
  });
}

/**
 * The SMTP settings: read (cached; the database is the truth), changed through
 * GraphQL with every field validated. The password is decrypted only in
 * `password`, for the SMTP gateway, never returned or logged.
 *
 * A change made here is announced at once; one made by another Herald process
 * on the same database is noticed by a cheap re-read every few seconds.
 */
@Injectable()
export class SmtpSettingsService extends CachedSettings<SmtpSettings> {
  protected readonly logger = new Logger('SmtpSettings');
  protected readonly what = 'the settings';
  /** Where each field is stored (the standby relay's settings: StandbySmtpSettingsService, under `standby.`). */
  protected readonly keyOf: SettingsKeyOf = primaryKeyOf;
  /** What their audit entries are about. */
  protected readonly auditKind: AuditKind = AuditKind.SMTP_SETTINGS;
  protected readonly auditTarget: string = 'smtpSettings';

  constructor(
    @InjectDataSource() protected readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    protected readonly events: EventEmitter2,
    config: HeraldConfig,
    protected readonly transactions: Transactions,
    clock: Clock,
    protected readonly audit: AuditLog,
  ) {
    super(clock, config);
  }

  /** Another process changed them: announced here too. */
  protected override changedElsewhere(fresh: SmtpSettings): void {
    this.logger.log(`settings changed elsewhere (by ${fresh.updatedBy ?? 'unknown'}); using them from now on`);
    this.announce(fresh);
  }

  /**
   * Applies a partial update; invalid input changes nothing. The change and its
   * audit entry are one transaction. Emits SmtpSettingsChangedEvent.
   */
  async update(input: UpdateSmtpSettingsInput, actor: AuditActor): Promise<SmtpSettings> {
    const changed = await this.transactions.run(async (manager) => {
      const current = await this.load(manager);
      const next = this.merge(current, input);
      const changed = SETTINGS_FIELDS.filter((f) => toRowValue(next[f]) !== toRowValue(current[f]));
      if (changed.length === 0) return changed;
      const at = this.clock.date();
      await this.writeRows(manager, changed, next, actor.id, at);
      await this.audit.record(manager, { kind: this.auditKind, target: this.auditTarget, actor, at, fields: auditFields(changed, current, next) });
      return changed;
    });
    if (changed.length === 0) return this.load(); // nothing to announce: as the database has them
    this.cached = await this.load();
    this.logger.log(`settings changed by ${actor.id}: ${changed.map((f) => this.keyOf(f)).join(', ')}`);
    this.announce(this.cached);
    return this.cached;
  }

  /** Tells the rest that these settings changed (the transports rebuild on it). */
  protected announce(settings: SmtpSettings): void {
    this.events.emit(SmtpSettingsChangedEvent.NAME, new SmtpSettingsChangedEvent(settings));
  }

  /**
   * First-start seed: writes the given values for keys that have no row yet.
   * Keys already in the database are left alone (the database is the truth).
   * The values that differ from the defaults are an audit entry by `actor`.
   * Returns the keys written.
   */
  async seed(input: UpdateSmtpSettingsInput, actor: AuditActor, updatedBy: string): Promise<string[]> {
    const current = await this.load();
    this.merge(current, input); // a bad seed value stops start-up, used or not
    const existing = new Set((await this.dataSource.getRepository(PropertyEntity).find({ select: { key: true } })).map((r) => r.key));
    if (SETTINGS_FIELDS.every((f) => existing.has(this.keyOf(f)))) {
      this.cached = current;
      return [];
    }
    const written = await this.transactions.run(async (manager) => {
      const current = await this.load(manager);
      const next = this.merge(current, input);
      // One row at a time, so that what this process wrote is known (another may be seeding too).
      const written: (keyof SettingsValues)[] = [];
      const at = this.clock.date();
      for (const f of SETTINGS_FIELDS) {
        const insert = manager.createQueryBuilder().insert().into(PropertyEntity).values(row(this.keyOf, f, next, updatedBy, at)).orIgnore().updateEntity(false);
        if (await insertedRows(manager, insert)) written.push(f);
      }
      // A key new to this database (after an upgrade) is seeded beside rows kept as they were: the two must go together.
      const stored: SettingsValues = { ...current, ...Object.fromEntries(written.map((f) => [f, next[f]])) };
      if (written.includes('transport') && stored.transport !== MailTransportKind.SMTP && stored.authMethod !== SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS) {
        throw new BadUserInputError([
          { field: 'transport', message: `cannot be ${stored.transport} while the stored authMethod is ${stored.authMethod}: set transport, authMethod and the OAuth2 client credentials with updateSmtpSettings` },
        ]);
      }
      const changed = written.filter((f) => toRowValue(next[f]) !== toRowValue(current[f]));
      await this.audit.record(manager, { kind: this.auditKind, target: this.auditTarget, actor, at, fields: auditFields(changed, current, next) });
      return written;
    });
    this.cached = await this.load();
    return written.map((f) => this.keyOf(f));
  }

  /** Saved settings with unsaved changes laid over them, validated as a whole (for checks). */
  async preview(input: UpdateSmtpSettingsInput | undefined): Promise<SmtpSettings> {
    const current = await this.get();
    return input ? { ...current, ...this.merge(current, input) } : current;
  }

  /**
   * The relay password in clear, for the SMTP gateway to log in with: null unless
   * authentication is on and a password is set. Throws SecretDecryptionError when
   * this server's key cannot read it.
   */
  password(settings: SmtpSettings): string | null {
    const used = settings.authMethod === SmtpAuthMethod.PASSWORD && settings.username && settings.encryptedPassword;
    return used ? this.cipher.decrypt(settings.encryptedPassword!) : null;
  }

  /**
   * The OAuth2 secrets in clear, for the SMTP gateway to get tokens with (each null
   * when not set). Throws SecretDecryptionError when this server's key cannot read one.
   */
  oauth2Secrets(settings: SmtpSettings): { clientSecret: string | null; privateKey: string | null; serviceAccountKey: string | null; refreshToken: string | null } {
    const reveal = (value: string | null) => (value ? this.cipher.decrypt(value) : null);
    return {
      clientSecret: reveal(settings.encryptedOAuth2ClientSecret),
      privateKey: reveal(settings.encryptedOAuth2PrivateKey),
      serviceAccountKey: reveal(settings.encryptedOAuth2ServiceAccountKey),
      refreshToken: reveal(settings.encryptedOAuth2RefreshToken),
    };
  }

  protected async load(manager: EntityManager = this.dataSource.manager): Promise<SmtpSettings> {
    const rows = await manager.getRepository(PropertyEntity).findBy({ key: In(SETTINGS_FIELDS.map(this.keyOf)) });
    return settingsFromRows(rows, this.keyOf);
  }

  /** The values after `input`, checked as a whole. Throws BadUserInputError naming each bad field. */
  private merge(current: SmtpSettings, input: UpdateSmtpSettingsInput): SettingsValues {
    const next: SettingsValues = { ...current };
    const problems: FieldProblem[] = [];
    for (const [field, value] of Object.entries(input) as [keyof UpdateSmtpSettingsInput, unknown][]) {
      if (value === undefined) continue;
      const secret = SECRET_FIELDS[field as SecretInput];
      if (secret) next[secret] = sealSecret(this.cipher, field, value as string | null, current[secret] as string | null, problems, field === 'oauth2ServiceAccountKey' ? parseServiceAccountKey : undefined);
      else (next as unknown as Record<string, unknown>)[field] = value === '' ? null : value;
    }
    // authEnabled is the old on/off switch over authMethod.
    if (input.authMethod === undefined && input.authEnabled !== undefined) {
      next.authMethod = !input.authEnabled ? SmtpAuthMethod.NONE : current.authMethod === SmtpAuthMethod.NONE ? SmtpAuthMethod.PASSWORD : current.authMethod;
    }
    next.authEnabled = next.authMethod !== SmtpAuthMethod.NONE;
    next.graphEndpoint ??= SMTP_DEFAULTS.graphEndpoint;
    if (input.host === null) problems.push({ field: 'host', message: 'cannot be cleared; set another host' });
    for (const field of NOT_CLEARABLE) if (input[field] === null) problems.push({ field, message: 'cannot be cleared; give a value (absent keeps it)' });
    if (next.transport === MailTransportKind.MICROSOFT_GRAPH) {
      // Graph takes an app's token (client credentials); the mailbox is username, else the sender's address.
      if (next.authMethod !== SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS) {
        problems.push({ field: 'authMethod', message: `must be OAUTH2_CLIENT_CREDENTIALS when transport is MICROSOFT_GRAPH (the app's client secret or certificate; got ${next.authMethod})` });
      } else problems.push(...this.oauth2Problems(next));
    } else {
      if (next.authEnabled && next.host && !next.username) {
        problems.push({ field: 'username', message: `is required when authMethod is ${next.authMethod} (the mailbox to send as)` });
      }
      if (next.host) problems.push(...this.oauth2Problems(next));
    }
    if (problems.length) throw new BadUserInputError(problems);
    return next;
  }

  /** What an OAuth2 method needs before it can get a token (checked only once a host is set). */
  private oauth2Problems(next: SettingsValues): FieldProblem[] {
    const missing = (field: string, why: string): FieldProblem => ({ field, message: `is required when authMethod is ${next.authMethod} (${why})` });
    const problems: FieldProblem[] = [];
    switch (next.authMethod) {
      case SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS:
        if (!next.oauth2TenantId && !next.oauth2TokenUrl) problems.push(missing('oauth2TenantId', 'or set oauth2TokenUrl'));
        if (!next.oauth2ClientId) problems.push(missing('oauth2ClientId', "the app registration's application id"));
        if (!next.encryptedOAuth2ClientSecret && !(next.oauth2Certificate && next.encryptedOAuth2PrivateKey)) {
          problems.push(missing('oauth2ClientSecret', 'or a certificate with oauth2Certificate and oauth2PrivateKey'));
        }
        break;
      case SmtpAuthMethod.OAUTH2_SERVICE_ACCOUNT:
        if (!next.encryptedOAuth2ServiceAccountKey) problems.push(missing('oauth2ServiceAccountKey', "the service account's JSON key"));
        break;
      case SmtpAuthMethod.OAUTH2_REFRESH_TOKEN:
        if (!next.oauth2TokenUrl) problems.push(missing('oauth2TokenUrl', "the provider's token endpoint"));
        if (!next.oauth2ClientId) problems.push(missing('oauth2ClientId', 'the client the token was issued to'));
        if (!next.encryptedOAuth2RefreshToken) problems.push(missing('oauth2RefreshToken', 'from the consent flow'));
        break;
      default:
    }
    return problems;
  }

  private async writeRows(manager: EntityManager, fields: (keyof SettingsValues)[], values: SettingsValues, updatedBy: string, at: Date): Promise<void> {
    await upsertProperties(manager, fields.map((f) => row(this.keyOf, f, values, updatedBy, at)));
  }
}
