import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HeraldConfig } from '../../config/herald-config';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { SYSTEM_ACTOR } from '../audit-log/audit-actor';
import { SmtpSettingsService } from '../smtp-settings/smtp-settings.service';
import { InvalidSeedError, readSeedFile, SEED_VARIABLES, seedFromEnvironment, seedInput, type SeedVariable } from './settings-seed.source';

/**
 * On start, fills the settings keys that have no row yet from the environment
 * (SMTP_HOST, …) over the YAML file (HERALD_SETTINGS_FILE). Rows already in the
 * database are kept: after the first start, GraphQL changes settings, not the environment.
 * What it stores is an audit entry by "system" (SYSTEM_ACTOR), as a change made through
 * GraphQL is one by its caller: the log then tells where every value came from.
 */
@Injectable()
export class SettingsSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('SettingsSeed');

  constructor(
    private readonly config: HeraldConfig,
    private readonly settings: SmtpSettingsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const fromEnv = seedFromEnvironment(this.config.seedEnvironment);
    const fromFile = this.config.settingsFile ? readSeedFile(this.config.settingsFile) : {};
    const input = seedInput(fromEnv, fromFile);
    let written: string[];
    try {
      written = await this.settings.seed(input, SYSTEM_ACTOR, 'seed');
    } catch (error) {
      if (!(error instanceof BadUserInputError)) throw error;
      const byField = (field: string) =>
        (Object.keys(SEED_VARIABLES) as (keyof typeof SEED_VARIABLES)[]).find((n) => SEED_VARIABLES[n] === field) ?? field;
      throw new InvalidSeedError(error.fields.map((f) => `${byField(f.field)} ${f.message}`));
    }
    const given = Object.keys({ ...fromFile, ...fromEnv });
    if (written.length) {
      this.logger.log(`first start: stored ${written.length} settings (from ${this.sourceName(fromEnv, fromFile)})`);
    } else if (given.length) {
      this.logger.log(`settings are already in the database; ${given.join(', ')} ignored (change settings through GraphQL)`);
    }
  }

  private sourceName(fromEnv: object, fromFile: object): string {
    const sources = [Object.keys(fromEnv).length && 'environment', Object.keys(fromFile).length && this.config.settingsFile];
    return sources.filter(Boolean).join(' and ') || 'defaults';
  }
}
