/**
 * What a database error means for the caller, on SQLite (better-sqlite3's
 * `SQLITE_*` codes) and PostgreSQL (SQLSTATE). TypeORM wraps the driver's error
 * in a QueryFailedError whose `driverError` carries the code.
 */
function codeOf(error: unknown): string {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return String(e?.driverError?.code ?? e?.code ?? '');
}

/** A duplicate key (an event id recorded by someone else first). */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * The database cannot store more: the disk (or SQLite's max_page_count) is full,
 * or PostgreSQL is out of disk space or memory. Passing: it ends when space is freed.
 */
export function isStorageFull(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_FULL' || code === '53100' || code === '53200' || code === 'ENOSPC';
}

/**
 * The database cannot be reached or cannot write right now — connection refused
 * or lost, server shutting down, too many connections, locked, read-only, full,
 * I/O error. Retrying later may succeed; anything else (a constraint, bad data)
 * will fail the same way every time.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isStorageFull(error)) return true;
  const code = codeOf(error);
  return (
    /^(08|53|57P|58)/.test(code) || // connection exception, insufficient resources, operator intervention, system error
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    code === '55P03' || // lock not available (lock_timeout, NOWAIT): PostgreSQL's SQLITE_BUSY
    code === '25006' || // read-only transaction (a standby, or a database set read-only)
    /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL)/.test(code) ||
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(code) ||
    /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      (error as Error | null)?.message ?? '',
    )
  );
}
