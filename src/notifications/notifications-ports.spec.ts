import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { ClockModule } from '../clock/clock.module';
import { ConfigModule } from '../config/config.module';
import { HeraldConfig } from '../config/herald-config';
import { validateEnvironment } from '../config/validate-environment';
import { DatabaseModule } from '../database/database.module';
import { JobEventsModule } from '../job-events/job-events.module';
import { UsersModule } from '../users/users.module';

/** The ports notifications provides are injection tokens: a module that needs one without NotificationsPortsModule does not start. */
describe('NotificationsPortsModule', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-ports-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const without = (module: Type) => {
    const env = { DATA_DIR: dataDir, SQLITE_PATH: ':memory:', JWT_SECRET: 'unit-secret-that-is-long-enough-for-hs256', LOG_LEVEL: 'error' };
    const config = new HeraldConfig(validateEnvironment(env), env);
    return Test.createTestingModule({ imports: [ConfigModule.forRoot(config), ClockModule.forRoot(), EventEmitterModule.forRoot(), DatabaseModule, module] }).compile();
  };

  it('is what ingestion hands new events to: without it, start-up stops naming the token', async () => {
    await expect(without(JobEventsModule)).rejects.toThrow(/JobEventIngestionService.*Symbol\(JobEventsSubscribers\)/s);
  });

  it("is where recipientsPreview reads the mail cap: without it, start-up stops naming the token", async () => {
    await expect(without(UsersModule)).rejects.toThrow(/UsersAdminResolver.*Symbol\(MailCapState\)/s);
  });
});
