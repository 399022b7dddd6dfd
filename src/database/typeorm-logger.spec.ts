import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeraldTypeOrmLogger, reasonForLog, statementForLog } from './typeorm-logger';

/** Everything logged while `run` runs: through Nest's logger, or straight to the console. */
async function logged(run: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  Logger.overrideLogger({ log: keep, error: keep, warn: keep, debug: keep, verbose: keep, fatal: keep });
  const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(keep));
  try {
    await run().catch(() => undefined);
  } finally {
    consoleSpies.forEach((spy) => spy.mockRestore());
    Logger.overrideLogger(new ConsoleLogger());
  }
  return lines.join('\n');
}

describe('HeraldTypeOrmLogger', () => {
  const SECRET = 'event-contents-that-must-not-be-logged';
  let dir: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-logger-'));
    // A real database (SQLite through TypeORM) that fails a statement the way Herald's do.
    dataSource = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite'), logger: new HeraldTypeOrmLogger() }).initialize();
    await dataSource.query('CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) < 5))');
  });
  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs a failed statement with the reason and the statement, never its parameters', async () => {
    const out = await logged(() => dataSource.query('INSERT INTO t (id, name)\nVALUES (?, ?)', ['id-1', SECRET]));
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('id-1');
    expect(out).toContain('statement failed: SQLITE_CONSTRAINT_CHECK CHECK constraint failed');
    expect(out).toContain('INSERT INTO t (id, name)');
  });

  it('logs nothing for a statement that succeeds', async () => {
    expect(await logged(() => dataSource.query('SELECT ? AS x', [SECRET]))).toBe('');
  });

  it('shows a statement by its first line, cut short, without control characters', () => {
    expect(statementForLog('  SELECT 1\nFROM t WHERE x = 2')).toBe('SELECT 1');
    expect(statementForLog(`SELECT '${'x'.repeat(300)}'`)).toHaveLength(201);
    expect(statementForLog('SELECT \u001b[2J 1')).toBe('SELECT  [2J 1');
  });

  it("keeps PostgreSQL's data exceptions, which quote the value, to their code and column", () => {
    const pgError = Object.assign(new Error(`invalid input syntax for type integer: "${SECRET}"`), {
      driverError: { code: '22P02', column: 'port' },
    });
    expect(reasonForLog(pgError)).toBe('22P02 data exception in column port');
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { driverError: { code: '22021' } });
    expect(reasonForLog(nul)).toBe('22021 data exception');
  });
});
