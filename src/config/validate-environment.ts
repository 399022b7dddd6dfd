import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
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
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return vars;
}
