import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource, In } from 'typeorm';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { reasonsOf } from '../../config/validation-messages';
import { Transactions } from '../../database/transactions';
import { PropertyEntity } from '../property.entity';
import { InvalidSeedError } from '../seed/settings-seed.source';
import { MAIL_DEFAULTS_FIELDS, MAIL_DEFAULTS_KEYS, MAIL_DEFAULTS_SEED_VARIABLES, type MailDefaults, type MailDefaultsField } from './mail-defaults';
import { UpdateMailDefaultsInput } from './update-mail-defaults.input';

const KEYS = Object.values(MAIL_DEFAULTS_KEYS);

/**
 * The admin's mail defaults (language, time zone): read once and cached — every
 * mail asks — and re-read every few seconds, so a change made through another
 * Herald process on the same database is used here too. Input is validated by
 * GraphQL (UpdateMailDefaultsInput); the seed with the same rules.
 */
@Injectable()
export class MailDefaultsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailDefaults');
  private cached?: MailDefaults;
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: HeraldConfig,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.refreshTimer = setInterval(() => void this.refresh(), this.config.settingsRefreshIntervalMs);
    this.refreshTimer.unref();
  }

  /** Seeds the defaults on start, as SettingsSeeder seeds the SMTP settings. */
  async onApplicationBootstrap(): Promise<void> {
    await this.seed(this.config.seedEnvironment);
  }

  onModuleDestroy(): void {
    clearInterval(this.refreshTimer);
  }

  async get(): Promise<MailDefaults> {
    this.cached ??= await this.load();
    return this.cached;
  }

  /** Applies a partial update (absent keeps, null or empty clears). */
  async update(input: UpdateMailDefaultsInput, actor: string): Promise<MailDefaults> {
    const current = await this.load();
    const changed = MAIL_DEFAULTS_FIELDS.filter((f) => input[f] !== undefined && (input[f] || null) !== current[f]);
    await this.write(changed.map((f) => [f, input[f] || null]), actor, 'replace');
    if (changed.length) this.logger.log(`mail defaults changed by ${actor}: ${changed.map((f) => MAIL_DEFAULTS_KEYS[f]).join(', ')}`);
    this.cached = await this.load();
    return this.cached;
  }

  /**
   * First start: the MAIL_DEFAULT_* variables fill the keys that have no row yet.
   * A bad value stops start-up, naming the variable.
   */
  async seed(env: Readonly<Record<string, string | undefined>>): Promise<void> {
    const given = Object.entries(MAIL_DEFAULTS_SEED_VARIABLES).filter(([name]) => env[name]);
    if (!given.length) return;
    const input = plainToInstance(UpdateMailDefaultsInput, Object.fromEntries(given.map(([name, field]) => [field, env[name]!.trim()])));
    const problems = validateSync(input).map((error) => `${given.find(([, f]) => f === error.property)![0]} ${reasonsOf(error).join(', ')}`);
    if (problems.length) throw new InvalidSeedError(problems);
    await this.write(given.map(([, field]) => [field, input[field]!]), 'seed', 'insert-missing');
    this.cached = await this.load();
  }

  /** Re-reads the defaults (another process may have changed them). */
  async refresh(): Promise<void> {
    if (!this.cached) return;
    try {
      this.cached = await this.load();
    } catch (error) {
      this.logger.warn(`could not re-read the mail defaults: ${(error as Error).message}`);
    }
  }

  private async load(): Promise<MailDefaults> {
    const rows = await this.dataSource.getRepository(PropertyEntity).findBy({ key: In(KEYS) });
    const defaults: MailDefaults = { language: null, timeZone: null, updatedAt: null, updatedBy: null };
    for (const field of MAIL_DEFAULTS_FIELDS) {
      const row = rows.find((r) => r.key === MAIL_DEFAULTS_KEYS[field]);
      if (!row) continue;
      defaults[field] = row.value;
      if (!defaults.updatedAt || row.updatedAt > defaults.updatedAt) Object.assign(defaults, { updatedAt: row.updatedAt, updatedBy: row.updatedBy });
    }
    return defaults;
  }

  private async write(values: [MailDefaultsField, string | null][], actor: string, mode: 'replace' | 'insert-missing'): Promise<void> {
    if (!values.length) return;
    const now = this.clock.date();
    const rows = values.map(([field, value]) => ({ key: MAIL_DEFAULTS_KEYS[field], value, updatedAt: now, updatedBy: actor }));
    await this.transactions.run(async (manager) => {
      const insert = manager.createQueryBuilder().insert().into(PropertyEntity).values(rows);
      if (mode === 'replace') insert.orUpdate(['value', 'updated_at', 'updated_by'], ['key']);
      else insert.orIgnore();
      await insert.execute();
    });
  }
}
