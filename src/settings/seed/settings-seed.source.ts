import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { reasonsOf } from '../../config/validation-messages';
import { UpdateSmtpSettingsInput } from '../smtp-settings/update-smtp-settings.input';
import { SmtpSecurity } from '../smtp-settings/smtp-settings';

/**
 * First-start values for the SMTP settings, named as in the product Herald
 * replaces. Each variable maps to a field of UpdateSmtpSettingsInput.
 */
export const SEED_VARIABLES = {
  MAIL_TRANSPORT: 'transport',
  GRAPH_ENDPOINT: 'graphEndpoint',
  SMTP_HOST: 'host',
  SMTP_PORT: 'port',
  SMTP_SENDER: 'sender',
  SMTP_USERNAME: 'username',
  SMTP_PASSWORD: 'password',
  SMTP_AUTH: 'authEnabled',
  SMTP_AUTH_METHOD: 'authMethod',
  SMTP_OAUTH2_TENANT_ID: 'oauth2TenantId',
  SMTP_OAUTH2_CLIENT_ID: 'oauth2ClientId',
  SMTP_OAUTH2_CLIENT_SECRET: 'oauth2ClientSecret',
  SMTP_OAUTH2_CERTIFICATE_FILE: 'oauth2Certificate',
  SMTP_OAUTH2_PRIVATE_KEY_FILE: 'oauth2PrivateKey',
  SMTP_OAUTH2_SERVICE_ACCOUNT_KEY_FILE: 'oauth2ServiceAccountKey',
  SMTP_OAUTH2_REFRESH_TOKEN: 'oauth2RefreshToken',
  SMTP_OAUTH2_TOKEN_URL: 'oauth2TokenUrl',
  SMTP_OAUTH2_SCOPE: 'oauth2Scope',
  SMTP_QUOTA_MESSAGES_PER_MINUTE: 'quotaMessagesPerMinute',
  SMTP_QUOTA_RECIPIENTS_PER_DAY: 'quotaRecipientsPerDay',
  SMTP_TRANSPORT_PROTOCOL: 'security',
  SMTP_STARTTLS_ENABLE: 'security',
  SMTP_SECURITY: 'security',
  SMTP_VERIFY_CERTIFICATE: 'verifyCertificate',
  SMTP_CA_CERTIFICATE_FILE: 'caCertificate',
  SMTP_CONNECTION_TIMEOUT_MS: 'connectionTimeoutMs',
  SMTP_GREETING_TIMEOUT_MS: 'greetingTimeoutMs',
  SMTP_SOCKET_TIMEOUT_MS: 'socketTimeoutMs',
  SMTP_POOL_SIZE: 'poolSize',
  GATEWAY_URI: 'gatewayUri',
} as const satisfies Record<string, keyof UpdateSmtpSettingsInput>;

/** Spring's `mail.smtp.auth.mechanisms`: says password or XOAUTH2, not which grant; SMTP_AUTH_METHOD says that. */
type MechanismsKey = 'SMTP_AUTH_MECHANISMS';
export type SeedVariable = keyof typeof SEED_VARIABLES | MechanismsKey;
export type SeedValues = Partial<Record<SeedVariable, string>>;

/** The old Spring Boot keys (`spring.mail.*`) and what they are called in Herald. */
const SPRING_KEYS: Record<string, SeedVariable> = {
  'spring.mail.host': 'SMTP_HOST',
  'spring.mail.port': 'SMTP_PORT',
  'spring.mail.sender': 'SMTP_SENDER',
  'spring.mail.username': 'SMTP_USERNAME',
  'spring.mail.password': 'SMTP_PASSWORD',
  'spring.mail.protocol': 'SMTP_TRANSPORT_PROTOCOL',
  'spring.mail.properties.mail.transport.protocol': 'SMTP_TRANSPORT_PROTOCOL',
  'spring.mail.properties.mail.smtp.auth': 'SMTP_AUTH',
  'spring.mail.properties.mail.smtp.starttls.enable': 'SMTP_STARTTLS_ENABLE',
  'spring.mail.properties.mail.smtp.auth.mechanisms': 'SMTP_AUTH_MECHANISMS',
  'gateway.uri': 'GATEWAY_URI',
};

export class InvalidSeedError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid first-start SMTP settings: ${problems.join('; ')}`);
    this.name = 'InvalidSeedError';
  }
}

function flattenYaml(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenYaml(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

/** Reads a YAML file using Herald's variable names or the old `spring.mail.*` keys (nested or dotted). */
export function readSeedFile(path: string): SeedValues {
  const flat = flattenYaml(parseYaml(readFileSync(path, 'utf8')) ?? {});
  const values: SeedValues = {};
  for (const [key, raw] of Object.entries(flat)) {
    if (raw === null || raw === undefined) continue;
    const name = key in SEED_VARIABLES ? (key as SeedVariable) : SPRING_KEYS[key];
    if (name) values[name] = String(raw);
  }
  return values;
}

/** The seed variables present in an environment. */
export function seedFromEnvironment(env: Readonly<Record<string, string | undefined>>): SeedValues {
  const values: SeedValues = {};
  for (const name of Object.keys(SEED_VARIABLES) as (keyof typeof SEED_VARIABLES)[]) {
    if (env[name] !== undefined && env[name] !== '') values[name] = env[name];
  }
  return values;
}

const bool = (v: string) => (/^(true|1|yes|on)$/i.test(v.trim()) ? true : /^(false|0|no|off)$/i.test(v.trim()) ? false : v);
const int = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : v);

function securityOf(values: SeedValues): string | undefined {
  if (values.SMTP_SECURITY) return values.SMTP_SECURITY.trim().toUpperCase();
  if (values.SMTP_TRANSPORT_PROTOCOL?.trim().toLowerCase() === 'smtps') return SmtpSecurity.TLS;
  if (values.SMTP_STARTTLS_ENABLE !== undefined) {
    return bool(values.SMTP_STARTTLS_ENABLE) === true ? SmtpSecurity.STARTTLS : SmtpSecurity.NONE;
  }
  return undefined;
}

/**
 * Environment over file: builds the settings input from both and validates it
 * with the GraphQL input's rules. Errors name the variable and the reason.
 */
export function seedInput(fromEnv: SeedValues, fromFile: SeedValues = {}): UpdateSmtpSettingsInput {
  const values: SeedValues = { ...fromFile, ...fromEnv };
  const protocol = values.SMTP_TRANSPORT_PROTOCOL?.trim().toLowerCase();
  const problems: string[] = [];
  if (protocol !== undefined && protocol !== 'smtp' && protocol !== 'smtps') {
    problems.push('SMTP_TRANSPORT_PROTOCOL must be smtp or smtps');
  }
  const plain: Record<string, unknown> = {
    transport: values.MAIL_TRANSPORT?.trim().toUpperCase(),
    graphEndpoint: values.GRAPH_ENDPOINT?.trim(),
    host: values.SMTP_HOST?.trim(),
    port: values.SMTP_PORT === undefined ? undefined : int(values.SMTP_PORT),
    sender: values.SMTP_SENDER?.trim(),
    username: values.SMTP_USERNAME,
    password: values.SMTP_PASSWORD,
    authEnabled: values.SMTP_AUTH === undefined ? undefined : bool(values.SMTP_AUTH),
    authMethod: authMethodOf(values, problems),
    oauth2TenantId: values.SMTP_OAUTH2_TENANT_ID?.trim(),
    oauth2ClientId: values.SMTP_OAUTH2_CLIENT_ID?.trim(),
    oauth2ClientSecret: values.SMTP_OAUTH2_CLIENT_SECRET,
    oauth2Certificate: readFile('SMTP_OAUTH2_CERTIFICATE_FILE', values, problems),
    oauth2PrivateKey: readFile('SMTP_OAUTH2_PRIVATE_KEY_FILE', values, problems),
    oauth2ServiceAccountKey: readFile('SMTP_OAUTH2_SERVICE_ACCOUNT_KEY_FILE', values, problems),
    oauth2RefreshToken: values.SMTP_OAUTH2_REFRESH_TOKEN,
    oauth2TokenUrl: values.SMTP_OAUTH2_TOKEN_URL?.trim(),
    oauth2Scope: values.SMTP_OAUTH2_SCOPE?.trim(),
    quotaMessagesPerMinute: values.SMTP_QUOTA_MESSAGES_PER_MINUTE === undefined ? undefined : int(values.SMTP_QUOTA_MESSAGES_PER_MINUTE),
    quotaRecipientsPerDay: values.SMTP_QUOTA_RECIPIENTS_PER_DAY === undefined ? undefined : int(values.SMTP_QUOTA_RECIPIENTS_PER_DAY),
    security: securityOf(values),
    verifyCertificate: values.SMTP_VERIFY_CERTIFICATE === undefined ? undefined : bool(values.SMTP_VERIFY_CERTIFICATE),
    caCertificate: readFile('SMTP_CA_CERTIFICATE_FILE', values, problems),
    connectionTimeoutMs: values.SMTP_CONNECTION_TIMEOUT_MS === undefined ? undefined : int(values.SMTP_CONNECTION_TIMEOUT_MS),
    greetingTimeoutMs: values.SMTP_GREETING_TIMEOUT_MS === undefined ? undefined : int(values.SMTP_GREETING_TIMEOUT_MS),
    socketTimeoutMs: values.SMTP_SOCKET_TIMEOUT_MS === undefined ? undefined : int(values.SMTP_SOCKET_TIMEOUT_MS),
    poolSize: values.SMTP_POOL_SIZE === undefined ? undefined : int(values.SMTP_POOL_SIZE),
    gatewayUri: values.GATEWAY_URI?.trim(),
  };
  const input = plainToInstance(UpdateSmtpSettingsInput, plain);
  for (const error of validateSync(input)) problems.push(describe(error, values));
  if (problems.length) throw new InvalidSeedError(problems);
  return input;
}

/** The contents of the file a *_FILE variable names (certificates and keys are kept in files). */
function readFile(name: SeedVariable, values: SeedValues, problems: string[]): string | undefined {
  const path = values[name];
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${name} cannot be read: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * SMTP_AUTH_METHOD, or what Spring's mechanisms say: PLAIN/LOGIN is a password;
 * XOAUTH2 needs SMTP_AUTH_METHOD to say which grant gets the token.
 */
function authMethodOf(values: SeedValues, problems: string[]): string | undefined {
  if (values.SMTP_AUTH_METHOD) return values.SMTP_AUTH_METHOD.trim().toUpperCase();
  const mechanisms = values.SMTP_AUTH_MECHANISMS?.trim().toUpperCase().split(/[\s,]+/);
  if (!mechanisms) return undefined;
  if (mechanisms.includes('XOAUTH2')) {
    problems.push('spring.mail.properties.mail.smtp.auth.mechanisms XOAUTH2 needs SMTP_AUTH_METHOD (OAUTH2_CLIENT_CREDENTIALS, OAUTH2_SERVICE_ACCOUNT or OAUTH2_REFRESH_TOKEN) to say how Herald gets the token');
    return undefined;
  }
  return mechanisms.some((m) => ['PLAIN', 'LOGIN', 'CRAM-MD5'].includes(m)) ? 'PASSWORD' : undefined;
}

/**
 * Names the variable behind a field and the reason, never the value: it may be
 * the password, or carry control characters that would forge lines of the log.
 */
function describe(error: ValidationError, values: SeedValues): string {
  const names = (Object.keys(SEED_VARIABLES) as (keyof typeof SEED_VARIABLES)[]).filter(
    (n) => SEED_VARIABLES[n] === error.property && values[n] !== undefined,
  );
  const name = names.join(' / ') || error.property;
  return `${name} ${reasonsOf(error).join(', ')}`;
}
