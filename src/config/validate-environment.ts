import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { parseDuration } from './duration';
import { EnvironmentVariables } from './environment.schema';
import { reasonsOf } from './validation-messages';

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

const SECRET_VARIABLES = new Set(['JWT_SECRET', 'HERALD_SECRET_KEY', 'DATABASE_URL', 'RABBITMQ_URL', 'METRICS_TOKEN', 'ALERT_WEBHOOK_URL', 'ALERT_WEBHOOK_SECRET', 'ALERT_SMTP_URL']);

function describe(error: ValidationError): string {
  const reasons = reasonsOf(error);
  // Name the variable and the reason; echo the value only when it is not a secret.
  const shown = SECRET_VARIABLES.has(error.property) ? '' : ` (got "${String(error.value)}")`;
  return `${error.property} ${reasons.join(', ')}${shown}`;
}

/**
 * Validates the environment into typed variables. Empty values count as unset;
 * variables Herald does not read are dropped. Throws one error naming every bad variable.
 */
export function validateEnvironment(env: NodeJS.ProcessEnv): EnvironmentVariables {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const vars = plainToInstance(EnvironmentVariables, given, { exposeDefaultValues: true });
  const errors = validateSync(vars, { whitelist: true, forbidUnknownValues: false });
  const problems = errors.map(describe);
  if (vars.ALERT_WEBHOOK_URL && !vars.ALERT_WEBHOOK_SECRET) problems.push('ALERT_WEBHOOK_SECRET must be set with ALERT_WEBHOOK_URL (it signs the webhook)');
  if (vars.ALERT_SMTP_URL && !problems.some((p) => p.startsWith('ALERT_SMTP_URL')) && !URL.canParse(vars.ALERT_SMTP_URL)) {
    problems.push('ALERT_SMTP_URL cannot be read as a URL (percent-encode the special characters of the user and password)');
  }
  if (!problems.some((p) => p.startsWith('JWT_MAX_LIFETIME')) && parseDuration(vars.JWT_MAX_LIFETIME)! > MAX_TOKEN_LIFETIME_SECONDS) {
    problems.push(`JWT_MAX_LIFETIME must be at most 365d (got "${vars.JWT_MAX_LIFETIME}")`);
  }
  if (vars.CORS_ORIGINS !== undefined) problems.push(...corsOriginProblems(vars.CORS_ORIGINS));
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return vars;
}

/** A year: beyond it a token is as good as one that never expires. */
const MAX_TOKEN_LIFETIME_SECONDS = 365 * 86_400;

/** CORS_ORIGINS, split (the entries trimmed). */
export function corsOriginsOf(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((entry) => entry.trim());
}

/**
 * Each entry of CORS_ORIGINS must be an origin exactly as a browser sends it in
 * the Origin header (compared as a string): http(s), host, port if not the default.
 */
function corsOriginProblems(value: string): string[] {
  const entries = corsOriginsOf(value);
  if (entries.includes('')) return ['CORS_ORIGINS has an empty entry (two commas in a row, or one at an end)'];
  return entries.flatMap((entry) => {
    if (entry === '*' || entry === 'null') return [`CORS_ORIGINS lists exact origins: "${entry}" (${entry === '*' ? 'any origin' : 'opaque origins'}) is not allowed`];
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || !/^https?:\/\/[^/?#]+$/i.test(entry) || url.username || url.password) {
      return [`CORS_ORIGINS: "${entry}" is not an origin (scheme://host[:port], without path, query or trailing slash)`];
    }
    return url.origin === entry ? [] : [`CORS_ORIGINS: "${entry}" is not an origin as browsers send it (write "${url.origin}")`];
  });
}
