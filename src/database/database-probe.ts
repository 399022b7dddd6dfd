import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { DatabaseHealth, type DatabaseState } from './database-health';
import { HealthProbeEntity } from './health-probe.entity';
import { Transactions } from './transactions';

/**
 * Bytes the probe writes: more than the largest event Herald records (a 64 KiB
 * log excerpt, a 10,000-character message, its names and ids), so that "the
 * probe can write" means "an event can be recorded".
 */
export const PROBE_BYTES = 128 * 1024;
/** A probe's answer is reused for this long: /health may be asked often. */
const PROBE_TTL_MS = 2_000;
/** While the database does not take writes, it is probed this often, /health or not. */
const RECOVERY_PROBE_INTERVAL_MS = 5_000;

/**
 * The write probe behind readiness: `SELECT 1` says the database answers, not
 * that it can store anything. The probe writes a row of PROBE_BYTES and removes it
 * in one committed transaction — on SQLite that allocates pages (and meets
 * max_page_count or a full disk) and writes the WAL; on PostgreSQL it extends the
 * table and writes WAL. A failure reaches DatabaseHealth through Transactions, like
 * any other write; a success is what tells DatabaseHealth that writes work again,
 * so while they do not, the probe also runs on its own.
 */
@Injectable()
export class DatabaseProbe implements OnModuleInit, OnModuleDestroy {
  private last?: { at: number; state: Promise<DatabaseState> };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly transactions: Transactions,
    private readonly health: DatabaseHealth,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void (this.health.state === 'up' || this.check()), RECOVERY_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  check(): Promise<DatabaseState> {
    const now = this.clock.now();
    if (!this.last || now - this.last.at > PROBE_TTL_MS) this.last = { at: now, state: this.probe() };
    return this.last.state;
  }

  private async probe(): Promise<DatabaseState> {
    try {
      await this.transactions.run(async (manager) => {
        await manager.insert(HealthProbeEntity, { id: 1, payload: 'x'.repeat(PROBE_BYTES) });
        await manager.delete(HealthProbeEntity, { id: 1 });
      });
      this.health.probeSucceeded();
    } catch {
      // DatabaseHealth has seen the failure (and logged it if it changed the state).
    }
    return this.health.state;
  }
}
