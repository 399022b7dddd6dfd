import type { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Clock, Timer } from '../clock/clock';
import type { HeraldConfig } from '../config/herald-config';
import { PropertyEntity } from './property.entity';

/**
 * Settings kept in the `properties` table and cached in this process (every mail
 * asks): read at first use, re-read every SETTINGS_REFRESH_INTERVAL_MS, so that a
 * change made through another Herald process on the same database is used here too.
 * The cached object stays the same while the values do (users compare it).
 */
export abstract class CachedSettings<T> implements OnModuleInit, OnModuleDestroy {
  protected cached?: T;
  private refreshTimer?: Timer;
  protected abstract readonly logger: Logger;
  /** What a failed re-read's warning names (`the mail defaults`). */
  protected abstract readonly what: string;

  constructor(
    protected readonly clock: Clock,
    protected readonly config: HeraldConfig,
  ) {}

  onModuleInit(): void {
    this.refreshTimer = this.clock.every(this.config.settingsRefreshIntervalMs, () => void this.refresh());
  }

  onModuleDestroy(): void {
    this.refreshTimer?.cancel();
  }

  async get(): Promise<T> {
    this.cached ??= await this.load();
    return this.cached;
  }

  /** Re-reads the settings (another process may have changed them). */
  async refresh(): Promise<void> {
    const before = this.cached;
    if (!before) return;
    try {
      const fresh = await this.load();
      // Changed here meanwhile (a change, a seed): newer than this read, which would bring the old values back.
      if (this.cached !== before) return;
      if (JSON.stringify(fresh) === JSON.stringify(before)) return;
      this.cached = fresh;
      this.changedElsewhere(fresh);
    } catch (error) {
      this.logger.warn(`could not re-read ${this.what}: ${(error as Error).message}`);
    }
  }

  /** The settings as the database has them (in `manager`'s transaction, when given). */
  protected abstract load(manager?: EntityManager): Promise<T>;

  /** A re-read found them changed by another process. */
  protected changedElsewhere(_fresh: T): void {}
}

/** Writes these `properties` rows, replacing those of the same keys. */
export async function upsertProperties(manager: EntityManager, rows: PropertyEntity[]): Promise<void> {
  await manager.createQueryBuilder().insert().into(PropertyEntity).values(rows).orUpdate(['value', 'updated_at', 'updated_by'], ['key']).execute();
}
