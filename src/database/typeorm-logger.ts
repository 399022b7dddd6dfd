import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerContract } from 'typeorm';

/** The most characters of a statement a log line shows. */
const MAX_STATEMENT = 200;

/**
 * A statement as a log may show it: its first line, cut at MAX_STATEMENT
 * characters, control characters replaced. Parameters are never part of it.
 */
export function statementForLog(query: string): string {
  const firstLine = query.trimStart().split(/\r?\n/, 1)[0].replace(/[\u0000-\u001f\u007f]/g, ' ');
  return firstLine.length > MAX_STATEMENT ? `${firstLine.slice(0, MAX_STATEMENT)}…` : firstLine;
}

interface DriverError {
  code?: unknown;
  column?: unknown;
  driverError?: DriverError;
}

/**
 * What went wrong, without the statement or its parameters: the driver's code
 * and message, cut short. PostgreSQL's data exceptions (SQLSTATE class 22) quote
 * the offending value in their message (`invalid input syntax for type integer:
 * "…"`), so for those only the code and the column are shown.
 */
export function reasonForLog(error: string | Error): string {
  if (typeof error === 'string') return statementForLog(error);
  const driver = (error as DriverError).driverError ?? (error as DriverError);
  const code = driver.code === undefined ? '' : String(driver.code);
  if (/^22/.test(code)) return `${code} data exception${driver.column ? ` in column ${String(driver.column)}` : ''}`;
  return `${code ? `${code} ` : ''}${statementForLog(error.message)}`;
}

/**
 * TypeORM's logger for Herald: through Nest's logger (so LOG_FORMAT=json and
 * LOG_LEVEL apply), and never with a statement's parameters — they carry the
 * contents of events, addresses and settings. TypeORM's own loggers print the
 * parameters of every failed statement at ERROR.
 *
 * Failed and slow statements, warnings and migrations are logged; every
 * successful statement is not (TypeORM calls logQuery for each).
 */
export class HeraldTypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Not logged: one line per statement would drown everything else.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.error(`statement failed: ${reasonForLog(error)} — in: ${statementForLog(query)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow statement (${time} ms): ${statementForLog(query)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = statementForLog(String(message));
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}
