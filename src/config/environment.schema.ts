import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { Mailbox } from '@herald/contracts/address-rules';
import { DURATION_PATTERN } from './duration';

const toBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * Every environment variable Herald reads, validated once at boot.
 * docs/configuration.md lists the same variables; keep them together.
 *
 * The SMTP_* and GATEWAY_URI variables are *seeds*: they fill the settings table
 * on first start only (see src/settings/seed). They are validated there, with the
 * same rules as the GraphQL input, so they are not repeated here.
 */
export class EnvironmentVariables {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsOptional() @IsString() @MinLength(1)
  HOST = '0.0.0.0';

  /** Where the embedded default keeps its files (SQLite database, generated keys). */
  @IsOptional() @IsString() @MinLength(1)
  DATA_DIR = './data';

  /** postgres://user:pass@host:5432/db selects PostgreSQL; unset means SQLite in DATA_DIR. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** The PostgreSQL schema that holds Herald's tables. */
  @IsOptional() @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case SQL identifier' })
  DATABASE_SCHEMA = 'herald';

  /** SQLite file; defaults to DATA_DIR/herald.sqlite. ":memory:" is allowed for tests. */
  @IsOptional() @IsString() @MinLength(1)
  SQLITE_PATH?: string;

  /** Run pending migrations on start (the default); `herald migrate` runs them by hand. */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  MIGRATIONS_RUN = true;

  /** HS256 secret for bearer tokens; defaults to a generated DATA_DIR/jwt-secret. */
  @IsOptional() @IsString() @MinLength(32, { message: 'must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString() @MinLength(1)
  JWT_SECRET_FILE?: string;

  @IsOptional() @IsString() @MinLength(1)
  JWT_ISSUER?: string;

  @IsOptional() @IsString() @MinLength(1)
  JWT_AUDIENCE?: string;

  /**
   * The longest a bearer token may last (exp − iat; exp − now without iat): a stolen
   * token is a key until it expires, and Herald cannot revoke one. Tokens without exp are refused.
   */
  @IsOptional() @Matches(DURATION_PATTERN, { message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 24h)' })
  JWT_MAX_LIFETIME = '24h';

  /** AES-256 key for stored secrets: 64 hex characters or base64 of 32 bytes. */
  @IsOptional() @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'must be 32 bytes as 64 hex characters or base64',
  })
  HERALD_SECRET_KEY?: string;

  /** File holding that key; defaults to DATA_DIR/secret.key, generated on first start. */
  @IsOptional() @IsString() @MinLength(1)
  HERALD_SECRET_KEY_FILE?: string;

  /** YAML file with first-start SMTP settings (Herald's names or the old spring.mail.* keys). */
  @IsOptional() @IsString() @MinLength(1)
  HERALD_SETTINGS_FILE?: string;

  /** verifySmtpSettings + sendTestEmail calls allowed per caller per minute. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10000)
  SMTP_CHECK_RATE_LIMIT = 10;

  /** notificationsEnabled of a person Herald has just met (the seed page's profile switch starts off). */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  USERS_NOTIFICATIONS_DEFAULT = false;

  /**
   * Where people reach Herald from their mail (https://herald.example.com): the
   * preferences page and the one-click unsubscribe. Unset, mails link to the console.
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s?#]+$/, { message: 'must be an http:// or https:// URL without query or fragment' })
  HERALD_PUBLIC_URL?: string;

  /** `herald`: mails link to Herald's signed preferences page; `console`: to the console's own page (<gateway>/profile/notifications). */
  @IsOptional() @IsIn(['herald', 'console'])
  PREFERENCES_PAGE: 'herald' | 'console' = 'herald';

  /** How long the signed links of a mail (preferences page, one-click unsubscribe) work, in days. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(365)
  PREFERENCES_LINK_TTL_DAYS = 30;

  /** Deliveries one dispatcher claims at a time. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(5000)
  DISPATCH_BATCH_SIZE = 200;

  /**
   * Mails one process has in flight at once (the pool's connections are shared by them).
   * Unset: as many as its channels can keep busy (four per relay connection), at least 20.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  DISPATCH_CONCURRENCY?: number;

  /** How often the dispatcher looks for due retries and abandoned claims when nothing wakes it. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  DISPATCH_SWEEP_INTERVAL_MS = 5000;

  /** How long a claim lasts; a claimer that dies loses its deliveries to another after this. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000)
  DISPATCH_LEASE_MS = 120_000;

  /** Attempts before a delivery that keeps failing transiently is FAILED. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  DISPATCH_MAX_ATTEMPTS = 8;

  /** First retry delay; doubled each attempt (with ±50 % jitter) up to DISPATCH_BACKOFF_MAX_MS. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86_400_000)
  DISPATCH_BACKOFF_BASE_MS = 30_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(86_400_000)
  DISPATCH_BACKOFF_MAX_MS = 3_600_000;

  /** Mails one person gets at most per MAIL_CAP_WINDOW_MS; the rest of the window is folded into one summary mail at its end. 0: no cap. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000)
  MAIL_CAP_COUNT = 20;

  /** The cap's window, from a person's first mail after the last window ended. 0: no cap. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(86_400_000)
  MAIL_CAP_WINDOW_MS = 600_000;

  /** Relay-wide failures in a row (cannot connect, greet, TLS, 421, timeouts) that open the relay's circuit; a refused credential opens it at once. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  RELAY_CIRCUIT_THRESHOLD = 3;

  /** First wait before probing a relay whose circuit is open; doubled after each failed probe up to RELAY_PROBE_MAX_MS. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  RELAY_PROBE_MIN_MS = 5_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  RELAY_PROBE_MAX_MS = 300_000;

  /** For tests only: the length of the relay quota's "minute" (a test's relay enforces a per-minute quota in seconds). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  HERALD_QUOTA_MINUTE_MS = 60_000;

  /** amqp://user:pass@host:5672 turns on consuming job events from RabbitMQ (off on the embedded default). */
  @IsOptional() @Matches(/^amqps?:\/\/\S+$/, { message: 'must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL?: string;

  /** The durable queue Herald consumes job events from. */
  @IsOptional() @Matches(/^[A-Za-z0-9._:-]{1,200}$/, { message: 'must be a queue name (letters, digits, . _ : -)' })
  RABBITMQ_QUEUE = 'herald.job-events';

  /** Unacknowledged messages one process holds at most. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  RABBITMQ_PREFETCH = 50;

  /** How often a process re-reads the SMTP settings, to see changes made through another process. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000)
  SETTINGS_REFRESH_INTERVAL_MS = 5000;

  @IsOptional() @IsIn(['text', 'json'])
  LOG_FORMAT: 'text' | 'json' = 'text';

  @IsOptional() @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  /** Text logs are coloured only on a terminal; set (to anything), never (https://no-color.org). Wins over FORCE_COLOR. */
  @IsOptional() @IsString()
  NO_COLOR?: string;

  /** Colour text logs even when they go to a file or a pipe; 0 or false: never colour them. */
  @IsOptional() @IsString()
  FORCE_COLOR?: string;

  /** The GraphiQL page at /graphql, and schema introspection and "Did you mean" hints for callers with a valid token. */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  GRAPHQL_IDE = true;

  /**
   * Largest request body (JSON or form) accepted, in bytes or with a kb / mb suffix.
   * The default holds the largest legitimate request: a job event whose 64 Ki-character
   * log excerpt and 10,000-character message are all multi-byte characters.
   */
  /**
   * Origins (scheme://host[:port], comma-separated) whose pages may call /graphql from a
   * browser (CORS). None by default: only same-origin pages and non-browser clients.
   * Checked entry by entry in validate-environment.ts.
   */
  @IsOptional() @IsString()
  CORS_ORIGINS?: string;

  @IsOptional() @Matches(/^[1-9]\d* ?(b|kb|mb)?$/i, { message: 'must be a size in bytes, or with a kb or mb suffix (e.g. 512kb)' })
  HTTP_BODY_LIMIT = '2mb';

  /** Lexical tokens (names, punctuation, values) a GraphQL document may hold; parsing stops beyond. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(200) @Max(1_000_000)
  GRAPHQL_MAX_TOKENS = 1000;

  /** Fields nested in one another in an operation (fragments flattened, introspection's __schema not counted). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(2) @Max(100)
  GRAPHQL_MAX_DEPTH = 8;

  /** Aliases in one operation (`a: me { id } b: me { id }` has two). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(10_000)
  GRAPHQL_MAX_ALIASES = 15;

  /** Estimated cost of one operation: each field 1, times the items of the lists it is in (see src/graphql/query-limits.ts). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(100_000_000)
  GRAPHQL_MAX_COST = 100_000;

  /** GET /metrics (Prometheus text format). */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  METRICS_ENABLED = true;

  /** When set, /metrics asks for `Authorization: Bearer <this>` (Prometheus' `authorization` / `bearer_token`). */
  @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /** Hard bounces (5.x.x) of one address within BOUNCE_WINDOW that suspend it; an unknown user (5.1.1, 5.1.10) suspends it at once. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  BOUNCE_SUSPEND_AFTER = 3;

  /** The window in which BOUNCE_SUSPEND_AFTER hard bounces suspend an address. */
  @IsOptional() @Matches(DURATION_PATTERN, { message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 7d)' })
  BOUNCE_WINDOW = '7d';

  /** How long a suspended address gets no mail; then one mail tries it again (a block for ever would keep false positives). */
  @IsOptional() @Matches(DURATION_PATTERN, { message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 7d)' })
  BOUNCE_COOLDOWN = '7d';

  /** How long after that one mail went out without a bounce the address is taken back (reports come minutes, rarely hours, later). */
  @IsOptional() @Matches(DURATION_PATTERN, { message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 1h)' })
  BOUNCE_RETRY_WAIT = '1h';

  /**
   * The relay down longer than this: the admins get a summary mail when it works again
   * (and, with ALERT_SMTP_URL, one through the fallback relay while it is down).
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(604_800_000)
  ALERT_AFTER_MS = 600_000;

  /** Where a JSON POST goes when the relay's circuit opens and closes (optional). */
  @IsOptional() @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  ALERT_WEBHOOK_URL?: string;

  /** The HMAC-SHA256 key of the webhook's X-Herald-Signature header; required with ALERT_WEBHOOK_URL. */
  @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  ALERT_WEBHOOK_SECRET?: string;

  /**
   * A fallback relay for the admins' outage mail only (never for notifications):
   * `smtp://user:password@host:587` or `smtps://…@host:465` (special characters of
   * the password percent-encoded). When the main relay has been down longer than
   * ALERT_AFTER_MS, the admins are told through it while the outage lasts. A secret:
   * never logged or answered.
   */
  @IsOptional() @Matches(/^smtps?:\/\/(?:[^\s@/]+@)?[^\s@/?:]+(?::\d{1,5})?\/?(?:\?\S*)?$/, {
    message: 'must be an smtp:// or smtps:// URL, e.g. smtps://user:password@host:465 (percent-encode @, / and : in the password)',
  })
  ALERT_SMTP_URL?: string;

  /**
   * The From of the mail sent through ALERT_SMTP_URL (else the main relay's sender):
   * `addr@host` or `Name <addr@host>`, the forms SMTP_SENDER takes (the same rule).
   */
  @IsOptional() @Mailbox()
  ALERT_SMTP_FROM?: string;

  /**
   * Relay-wide failures (the session lost while sending) of one message, each after the
   * relay had taken other mails or passed a probe, after which they are that message's
   * own failure: it spends its attempts instead of waiting for ever.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  RELAY_FAILURES_PER_MESSAGE = 5;

  /** The relay's SMTP pool sends from a worker thread (src/smtp/thread/), beside the main thread, which composes and records. */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  RELAY_THREAD = true;

  /**
   * The hosts a notification target's webhook may be on (src/webhooks): comma-separated names,
   * `*.example.com` for its subdomains, `*` for any. Addresses in loopback, link-local and
   * private ranges stay refused unless WEBHOOK_ALLOWED_RANGES names them.
   */
  @IsOptional() @Matches(/^\s*(\*|(\*\.)?[A-Za-z0-9.-]+)(\s*,\s*(\*|(\*\.)?[A-Za-z0-9.-]+))*\s*$/, { message: 'must be host names separated by commas (*.example.com for subdomains, * for any)' })
  WEBHOOK_ALLOWED_HOSTS = 'hooks.slack.com,*.logic.azure.com,*.api.powerplatform.com,*.webhook.office.com';

  /** Loopback, link-local or private ranges a webhook may reach all the same (CIDRs, comma-separated: 10.1.2.0/24,fd00::/8). */
  @IsOptional() @Matches(/^\s*([0-9A-Fa-f:.]+\/\d{1,3})(\s*,\s*[0-9A-Fa-f:.]+\/\d{1,3})*\s*$/, { message: 'must be CIDR ranges separated by commas (10.1.2.0/24)' })
  WEBHOOK_ALLOWED_RANGES?: string;

  /** Plain http:// webhooks: for tests only (a webhook URL posts as the team; it travels encrypted). */
  @IsOptional() @Transform(toBoolean) @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  /** More certificate authorities (a PEM file) trusted for webhooks, beside the system's: an internal CA. */
  @IsOptional() @IsString() @MinLength(1)
  WEBHOOK_CA_FILE?: string;

  /** How long a webhook has to answer, in milliseconds, before the attempt counts as a transient failure. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Events one publishJobEvents request (or one array posted to POST /events) may hold (the request body's size bounds them too). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  GRAPHQL_MAX_BATCH_EVENTS = 100;
}
