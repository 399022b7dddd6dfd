import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource, type EntityManager, In } from 'typeorm';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { reasonsOf } from '../../config/validation-messages';
import { insertedRows } from '../../database/inserted-rows';
import { Transactions } from '../../database/transactions';
import { type AuditActor, SYSTEM_ACTOR } from '../audit-log/audit-actor';
import type { AuditFieldChange } from '../audit-log/audit-entry.entity';
import { AuditKind } from '../audit-log/audit-kind';
import { AuditLog, fieldChange } from '../audit-log/audit-log.service';
import { CachedSettings, upsertProperties } from '../cached-settings';
import { PropertyEntity } from '../property.entity';
import { InvalidSeedError } from '../seed/settings-seed.source';
import { MAIL_DEFAULTS_FIELDS, MAIL_DEFAULTS_KEYS, MAIL_DEFAULTS_SEED_VARIABLES, type MailDefaults } from './mail-defaults';
import { UpdateMailDefaultsInput } from './update-mail-defaults.input';

const KEYS = Object.values(MAIL_DEFAULTS_KEYS);

/**
 * The admin's mail defaults (language, time zone): read once and cached — every
 * mail asks — and re-read every few seconds, so a change made through another
 * Herald process on the same database is used here too. Input is validated by
 * GraphQL (UpdateMailDefaultsInput); the seed with the same rules. Each change,
 * the seed's too (by "system"), is an audit entry written in its transaction.
 */
@Injectable()
export class MailDefaultsService extends CachedSettings<MailDefaults> implements OnApplicationBootstrap {
  protected readonly logger = new Logger('MailDefaults');
  protected readonly what = 'the mail defaults';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: HeraldConfig,
    private readonly transactions: Transactions,
    clock: Clock,
    private readonly audit: AuditLog,
  ) {
    super(clock, config);
  }

  /** Seeds the defaults on start, as SettingsSeeder seeds the SMTP settings. */
  async onApplicationBootstrap(): Promise<void> {
    await this.seed(this.config.seedEnvironment);
  }

  /** Applies a partial update (absent keeps, null or empty clears), with its audit entry. */
  async update(input: UpdateMailDefaultsInput, actor: AuditActor): Promise<MailDefaults> {
    const changed = await this.transactions.run(async (manager) => {
      const current = await this.load(manager);
      const changed = MAIL_DEFAULTS_FIELDS.filter((f) => input[f] !== undefined && (input[f] || null) !== current[f]);
      if (!changed.length) return changed;
      const at = this.clock.date();
      const rows = changed.map((f) => ({ key: MAIL_DEFAULTS_KEYS[f], value: input[f] || null, updatedAt: at, updatedBy: actor.id }));
      await upsertProperties(manager, rows);
      const fields = changed.map((f) => fieldChange(f, current[f], input[f] || null));
      await this.audit.record(manager, { kind: AuditKind.MAIL_DEFAULTS, target: 'mailDefaults', actor, at, fields });
      return changed;
    });
    if (changed.length) this.logger.log(`mail defaults changed by ${actor.id}: ${changed.map((f) => MAIL_DEFAULTS_KEYS[f]).join(', ')}`);
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
    await this.transactions.run(async (manager) => {
      const at = this.clock.date();
      const fields: AuditFieldChange[] = [];
      // One row at a time: only what this process wrote (another may be seeding too) is its entry.
      for (const [, field] of given) {
        const row = { key: MAIL_DEFAULTS_KEYS[field], value: input[field]!, updatedAt: at, updatedBy: 'seed' };
        const insert = manager.createQueryBuilder().insert().into(PropertyEntity).values(row).orIgnore().updateEntity(false);
        if (await insertedRows(manager, insert)) fields.push(fieldChange(field, null, input[field]));
      }
      await this.audit.record(manager, { kind: AuditKind.MAIL_DEFAULTS, target: 'mailDefaults', actor: SYSTEM_ACTOR, at, fields });
    });
    this.cached = await this.load();
  }

  protected async load(manager: EntityManager = this.dataSource.manager): Promise<MailDefaults> {
    const rows = await manager.getRepository(PropertyEntity).findBy({ key: In(KEYS) });
    const defaults: MailDefaults = { language: null, timeZone: null, updatedAt: null, updatedBy: null };
    for (const field of MAIL_DEFAULTS_FIELDS) {
      const row = rows.find((r) => r.key === MAIL_DEFAULTS_KEYS[field]);
      if (!row) continue;
      defaults[field] = row.value;
      if (!defaults.updatedAt || row.updatedAt > defaults.updatedAt) Object.assign(defaults, { updatedAt: row.updatedAt, updatedBy: row.updatedBy });
    }
    return defaults;
  }
}
