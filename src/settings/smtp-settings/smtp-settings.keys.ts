import { MailTransportKind, SMTP_DEFAULTS, SmtpAuthMethod, SmtpSecurity, type SmtpSettings } from './smtp-settings';

type Field = keyof typeof SMTP_DEFAULTS;

interface KeySpec {
  /** Row key in the properties table (the product Herald replaces used the smtp.* and gateway.uri names). */
  key: string;
  parse(value: string): unknown;
}

const text: KeySpec['parse'] = (v) => v;
const int: KeySpec['parse'] = (v) => Number.parseInt(v, 10);
const bool: KeySpec['parse'] = (v) => v === 'true';

/** The one list of settings keys: field of SmtpSettings ⇄ row of `properties`. */
export const SETTINGS_KEYS: Record<Field, KeySpec> = {
  transport: { key: 'mail.transport', parse: (v) => (v in MailTransportKind ? v : SMTP_DEFAULTS.transport) },
  graphEndpoint: { key: 'graph.endpoint', parse: (v) => v || SMTP_DEFAULTS.graphEndpoint },
  host: { key: 'smtp.host', parse: text },
  port: { key: 'smtp.port', parse: int },
  sender: { key: 'smtp.sender', parse: text },
  username: { key: 'smtp.username', parse: text },
  encryptedPassword: { key: 'smtp.password', parse: text },
  security: { key: 'smtp.security', parse: (v) => (v in SmtpSecurity ? v : SMTP_DEFAULTS.security) },
  authEnabled: { key: 'smtp.auth', parse: bool },
  authMethod: { key: 'smtp.auth.method', parse: (v) => (v in SmtpAuthMethod ? v : SMTP_DEFAULTS.authMethod) },
  oauth2TenantId: { key: 'smtp.oauth2.tenant-id', parse: text },
  oauth2ClientId: { key: 'smtp.oauth2.client-id', parse: text },
  encryptedOAuth2ClientSecret: { key: 'smtp.oauth2.client-secret', parse: text },
  oauth2Certificate: { key: 'smtp.oauth2.certificate', parse: text },
  encryptedOAuth2PrivateKey: { key: 'smtp.oauth2.private-key', parse: text },
  encryptedOAuth2ServiceAccountKey: { key: 'smtp.oauth2.service-account-key', parse: text },
  encryptedOAuth2RefreshToken: { key: 'smtp.oauth2.refresh-token', parse: text },
  oauth2TokenUrl: { key: 'smtp.oauth2.token-url', parse: text },
  oauth2Scope: { key: 'smtp.oauth2.scope', parse: text },
  quotaMessagesPerMinute: { key: 'smtp.quota.messages-per-minute', parse: int },
  quotaRecipientsPerDay: { key: 'smtp.quota.recipients-per-day', parse: int },
  verifyCertificate: { key: 'smtp.tls.verify-certificate', parse: bool },
  caCertificate: { key: 'smtp.tls.ca-certificate', parse: text },
  connectionTimeoutMs: { key: 'smtp.timeout.connection-ms', parse: int },
  greetingTimeoutMs: { key: 'smtp.timeout.greeting-ms', parse: int },
  socketTimeoutMs: { key: 'smtp.timeout.socket-ms', parse: int },
  poolSize: { key: 'smtp.pool.size', parse: int },
  gatewayUri: { key: 'gateway.uri', parse: text },
};

export const SETTINGS_FIELDS = Object.keys(SETTINGS_KEYS) as Field[];

/** The `properties` key of a field, for one set of settings (the primary's, or the standby relay's). */
export type SettingsKeyOf = (field: Field) => string;

/** The primary's rows: the keys above. */
export const primaryKeyOf: SettingsKeyOf = (field) => SETTINGS_KEYS[field].key;

/**
 * The standby relay's rows: `standby.` before the primary's key (`standby.smtp.host`,
 * `standby.mail.transport`, …). The console's URL (`gateway.uri`) is one for both:
 * a mail's links do not depend on the way it went out.
 */
export const standbyKeyOf: SettingsKeyOf = (field) => (field === 'gatewayUri' ? SETTINGS_KEYS[field].key : `standby.${SETTINGS_KEYS[field].key}`);

export interface PropertyRow {
  key: string;
  value: string | null;
  updatedAt: Date;
  updatedBy: string | null;
}

/** Builds the settings from property rows; a missing row means the default. */
export function settingsFromRows(rows: PropertyRow[], keyOf: SettingsKeyOf = primaryKeyOf): SmtpSettings {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const settings: Record<string, unknown> = { ...SMTP_DEFAULTS, updatedAt: null, updatedBy: null };
  let latest: PropertyRow | undefined;
  for (const field of SETTINGS_FIELDS) {
    const row = byKey.get(keyOf(field));
    if (!row) continue;
    settings[field] = row.value === null ? null : SETTINGS_KEYS[field].parse(row.value);
    if (keyOf !== primaryKeyOf && keyOf(field) === primaryKeyOf(field)) continue; // shared with the primary: not a change of these settings
    if (!latest || row.updatedAt > latest.updatedAt) latest = row;
  }
  // Rows written before the method existed: the old on/off switch says which.
  if (!byKey.has(keyOf('authMethod'))) settings.authMethod = settings.authEnabled ? SmtpAuthMethod.PASSWORD : SmtpAuthMethod.NONE;
  settings.authEnabled = settings.authMethod !== SmtpAuthMethod.NONE;
  if (latest) {
    settings.updatedAt = latest.updatedAt;
    settings.updatedBy = latest.updatedBy;
  }
  return settings as unknown as SmtpSettings;
}

/** The row value of one field. */
export function toRowValue(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
