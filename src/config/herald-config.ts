import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SecretKeySource } from '@herald/crypto';
import { EnvironmentVariables } from './environment.schema';
import { parseDuration } from './duration';
import { corsOriginsOf, validateEnvironment } from './validate-environment';

export type DatabaseConfig =
  | { type: 'sqlite'; path: string }
  | { type: 'postgres'; url: string; schema: string };

/**
 * Herald's typed configuration, built once from the validated environment.
 * Injected by class: `constructor(private readonly config: HeraldConfig)`.
 */
export class HeraldConfig {
  /** `corsOrigins`: the origins whose pages may call Herald from a browser (CORS_ORIGINS). */
  readonly http: { host: string; port: number; corsOrigins: string[] };
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly migrationsRun: boolean;
  readonly jwt: {
    secret?: string;
    secretFile: string;
    issuer?: string;
    audience?: string;
    createIfMissing: boolean;
    /** The longest a token may last (JWT_MAX_LIFETIME), in seconds and as said to people (`24h`). */
    maxLifetime: { seconds: number; text: string };
  };
  readonly secretKey: SecretKeySource;
  readonly settingsFile?: string;
  readonly smtpCheckRateLimit: number;
  readonly settingsRefreshIntervalMs: number;
  readonly notificationsEnabledByDefault: boolean;
  /**
   * The links of each mail to the person's preferences: Herald's signed page at
   * `publicUrl` (`herald`), or the console's page (`console`, also when no public URL is set).
   */
  readonly preferences: { page: 'herald' | 'console'; publicUrl?: string; linkTtlMs: number };
  /** RabbitMQ ingestion; undefined when RABBITMQ_URL is not set. */
  readonly broker?: { url: string; queue: string; deadLetterQueue: string; prefetch: number };
  readonly dispatch: {
    batchSize: number;
    /** DISPATCH_CONCURRENCY; undefined: as many as the channels can keep busy (Dispatcher). */
    concurrency: number | undefined;
    sweepIntervalMs: number;
    leaseMs: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
  };
  /** At most `count` mails per person per `windowMs` (the rest folded into a summary); null: no cap (either set to 0). */
  readonly mailCap: { count: number; windowMs: number } | null;
  /** The relay's circuit breaker and quota window (RelayHealth). */
  readonly relay: {
    circuitThreshold: number;
    probeMinMs: number;
    probeMaxMs: number;
    quotaMinuteMs: number;
    /** Relay-wide failures of one message (the relay working for others meanwhile) after which they are its own. */
    failuresPerMessage: number;
    /** The SMTP pool sends from a worker thread (src/smtp/thread/). */
    thread: boolean;
  };
  /** `colours`: of text logs; `auto` means only when they go to a terminal. */
  readonly log: { format: 'text' | 'json'; level: EnvironmentVariables['LOG_LEVEL']; colours: 'auto' | 'always' | 'never' };
  readonly graphqlIde: boolean;
  /** What one request may hold and ask for; answered with an error before any work beyond. */
  readonly requestLimits: {
    /** Request body, in bytes. */
    bodyBytes: number;
    /** Per GraphQL document / operation. */
    tokens: number;
    depth: number;
    aliases: number;
    cost: number;
    /** Events per publishJobEvents request. */
    batchEvents: number;
  };
  /** GET /metrics: off, open, or asking for a bearer token. */
  readonly metrics: { enabled: boolean; token?: string };
  /** Addresses suspended after bounces (users/suspensions): the rules, in ms. */
  readonly bounces: { suspendAfter: number; windowMs: number; cooldownMs: number; retryWaitMs: number };
  /** Who is told when the relay is down: the admins' summary mail after `afterMs`, the webhook. */
  readonly alerts: {
    afterMs: number;
    webhook?: { url: string; secret: string };
    /** The fallback relay of the admins' outage mail (ALERT_SMTP_URL: holds a password, never log it). */
    fallbackRelay?: { url: string; from?: string };
  };
  /** Notification targets' webhooks (src/webhooks): where they may go, and how long they have to answer. */
  readonly webhooks: { allowedHosts: string[]; allowedRanges: string[]; allowHttp: boolean; caFile?: string; timeoutMs: number };
  /** The raw environment, for the first-start settings seed (validated there). */
  readonly seedEnvironment: Readonly<Record<string, string | undefined>>;

  constructor(vars: EnvironmentVariables, env: NodeJS.ProcessEnv) {
    this.http = { host: vars.HOST, port: vars.PORT, corsOrigins: corsOriginsOf(vars.CORS_ORIGINS) };
    this.dataDir = resolve(vars.DATA_DIR);
    this.database = vars.DATABASE_URL
      ? { type: 'postgres', url: vars.DATABASE_URL, schema: vars.DATABASE_SCHEMA }
      : { type: 'sqlite', path: vars.SQLITE_PATH ?? join(this.dataDir, 'herald.sqlite') };
    // Generated key files are for the embedded default only: several processes on
    // PostgreSQL must share one key, so there it has to be given.
    const embedded = this.database.type === 'sqlite';
    this.migrationsRun = vars.MIGRATIONS_RUN;
    this.jwt = {
      secret: vars.JWT_SECRET,
      secretFile: vars.JWT_SECRET_FILE ?? join(this.dataDir, 'jwt-secret'),
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      createIfMissing: embedded,
      maxLifetime: {
        seconds: parseDuration(vars.JWT_MAX_LIFETIME)!,
        text: /\d$/.test(vars.JWT_MAX_LIFETIME) ? `${vars.JWT_MAX_LIFETIME}s` : vars.JWT_MAX_LIFETIME,
      },
    };
    this.secretKey = {
      key: vars.HERALD_SECRET_KEY,
      keyFile: vars.HERALD_SECRET_KEY_FILE ?? join(this.dataDir, 'secret.key'),
      createIfMissing: embedded,
    };
    this.settingsFile = vars.HERALD_SETTINGS_FILE;
    this.smtpCheckRateLimit = vars.SMTP_CHECK_RATE_LIMIT;
    this.settingsRefreshIntervalMs = vars.SETTINGS_REFRESH_INTERVAL_MS;
    this.notificationsEnabledByDefault = vars.USERS_NOTIFICATIONS_DEFAULT;
    const publicUrl = vars.HERALD_PUBLIC_URL?.replace(/\/+$/, '');
    this.preferences = {
      page: vars.PREFERENCES_PAGE === 'herald' && publicUrl ? 'herald' : 'console',
      publicUrl,
      linkTtlMs: vars.PREFERENCES_LINK_TTL_DAYS * 86_400_000,
    };
    this.broker = vars.RABBITMQ_URL
      ? { url: vars.RABBITMQ_URL, queue: vars.RABBITMQ_QUEUE, deadLetterQueue: `${vars.RABBITMQ_QUEUE}.dead-letter`, prefetch: vars.RABBITMQ_PREFETCH }
      : undefined;
    this.dispatch = {
      batchSize: vars.DISPATCH_BATCH_SIZE,
      concurrency: vars.DISPATCH_CONCURRENCY,
      sweepIntervalMs: vars.DISPATCH_SWEEP_INTERVAL_MS,
      leaseMs: vars.DISPATCH_LEASE_MS,
      maxAttempts: vars.DISPATCH_MAX_ATTEMPTS,
      backoffBaseMs: vars.DISPATCH_BACKOFF_BASE_MS,
      backoffMaxMs: vars.DISPATCH_BACKOFF_MAX_MS,
    };
    this.mailCap = vars.MAIL_CAP_COUNT > 0 && vars.MAIL_CAP_WINDOW_MS > 0 ? { count: vars.MAIL_CAP_COUNT, windowMs: vars.MAIL_CAP_WINDOW_MS } : null;
    this.relay = {
      circuitThreshold: vars.RELAY_CIRCUIT_THRESHOLD,
      probeMinMs: vars.RELAY_PROBE_MIN_MS,
      probeMaxMs: vars.RELAY_PROBE_MAX_MS,
      quotaMinuteMs: vars.HERALD_QUOTA_MINUTE_MS,
      failuresPerMessage: vars.RELAY_FAILURES_PER_MESSAGE,
      thread: vars.RELAY_THREAD,
    };
    this.log = { format: vars.LOG_FORMAT, level: vars.LOG_LEVEL, colours: coloursOf(vars) };
    this.graphqlIde = vars.GRAPHQL_IDE;
    this.requestLimits = {
      bodyBytes: parseSize(vars.HTTP_BODY_LIMIT),
      tokens: vars.GRAPHQL_MAX_TOKENS,
      depth: vars.GRAPHQL_MAX_DEPTH,
      aliases: vars.GRAPHQL_MAX_ALIASES,
      cost: vars.GRAPHQL_MAX_COST,
      batchEvents: vars.GRAPHQL_MAX_BATCH_EVENTS,
    };
    this.metrics = { enabled: vars.METRICS_ENABLED, token: vars.METRICS_TOKEN };
    this.bounces = {
      suspendAfter: vars.BOUNCE_SUSPEND_AFTER,
      windowMs: parseDuration(vars.BOUNCE_WINDOW)! * 1000,
      cooldownMs: parseDuration(vars.BOUNCE_COOLDOWN)! * 1000,
      retryWaitMs: parseDuration(vars.BOUNCE_RETRY_WAIT)! * 1000,
    };
    this.alerts = {
      afterMs: vars.ALERT_AFTER_MS,
      webhook: vars.ALERT_WEBHOOK_URL ? { url: vars.ALERT_WEBHOOK_URL, secret: vars.ALERT_WEBHOOK_SECRET! } : undefined,
      fallbackRelay: vars.ALERT_SMTP_URL ? { url: vars.ALERT_SMTP_URL, from: vars.ALERT_SMTP_FROM } : undefined,
    };
    const list = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    this.webhooks = {
      allowedHosts: list(vars.WEBHOOK_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
      allowedRanges: list(vars.WEBHOOK_ALLOWED_RANGES),
      allowHttp: vars.WEBHOOK_ALLOW_HTTP,
      caFile: vars.WEBHOOK_CA_FILE,
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
    };
    this.seedEnvironment = { ...env };
  }
}

/** `512kb` → 524288: a size as HTTP_BODY_LIMIT accepts it (validated), in bytes. */
function parseSize(size: string): number {
  const [, digits, unit = 'b'] = /^(\d+) ?(b|kb|mb)?$/i.exec(size)!;
  return Number(digits) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
}

/** Reads `.env` (if present; real environment variables win), validates, and builds the config. */
/** NO_COLOR (set at all) wins; FORCE_COLOR forces them on, or off with 0 / false; else only on a terminal. */
function coloursOf(vars: EnvironmentVariables): HeraldConfig['log']['colours'] {
  if (vars.NO_COLOR !== undefined) return 'never';
  if (vars.FORCE_COLOR === undefined) return 'auto';
  return ['0', 'false'].includes(vars.FORCE_COLOR.trim().toLowerCase()) ? 'never' : 'always';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): HeraldConfig {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  return new HeraldConfig(validateEnvironment(env), env);
}
