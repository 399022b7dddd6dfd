import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleLogger, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test, type TestingModule } from '@nestjs/testing';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource, In } from 'typeorm';
import { AuthModule } from '../../src/auth/auth.module';
import { ClockModule } from '../../src/clock/clock.module';
import { ManualClock } from '../../src/clock/manual-clock';
import { ConfigModule } from '../../src/config/config.module';
import { HeraldConfig } from '../../src/config/herald-config';
import { validateEnvironment } from '../../src/config/validate-environment';
import { DatabaseModule } from '../../src/database/database.module';
import { PeopleAudienceModule } from '../../src/audiences/people/people-audience.module';
import { EmailModule } from '../../src/email/email.module';
import { JobEventIngestionService } from '../../src/job-events/ingestion/job-event-ingestion.service';
import { Dispatcher } from '../../src/notifications/dispatch/dispatcher';
import { DeliveryEventEntity } from '../../src/notifications/entities/delivery-event.entity';
import { DeliveryEntity } from '../../src/notifications/entities/delivery.entity';
import { NotificationsPortsModule } from '../../src/notifications/notifications-ports.module';
import { NotificationsModule } from '../../src/notifications/notifications.module';
import { SmtpSecurity } from '../../src/settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../src/settings/smtp-settings/smtp-settings.service';
import { ApplicationEntity } from '../../src/users/entities/application.entity';
import { MembershipEntity, MembershipRole } from '../../src/users/entities/membership.entity';
import { UserEntity } from '../../src/users/entities/user.entity';
import { addressKey } from '../../src/users/suspensions/address-suspensions';
import { eventually } from './people';

/** The dispatcher's timing in the specs of the dispatcher and of a channel under it: only the ManualClock moves it. */
export const SWEEP_MS = 30_000;
export const BACKOFF_MAX_MS = 600_000;
export const DISPATCH_TIMING: Readonly<Record<string, string>> = {
  DISPATCH_SWEEP_INTERVAL_MS: String(SWEEP_MS),
  DISPATCH_BACKOFF_BASE_MS: '60000',
  DISPATCH_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
  DISPATCH_LEASE_MS: '120000',
};

let events = 0;
/** A JOB_FAILED of `applicationId` (a new id each time), as a producer publishes it. */
export const jobFailed = (applicationId = 'app-1') => ({
  schemaVersion: 1,
  id: `ev-${++events}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-01-05T09:00:00Z',
  application: { id: applicationId, name: 'Billing' },
  job: { id: 'job-1', kind: 'analysis', startedAt: '2026-01-05T08:00:00Z', endedAt: '2026-01-05T09:00:00Z' },
  error: { message: 'Out of memory' },
});

/**
 * Herald's core without HTTP or GraphQL — ingestion, planning, the outbox, the
 * dispatcher, the settings, the email channel (or the channels given) — on SQLite
 * in memory, its time told by a ManualClock: for unit tests of those parts that
 * start in well under a second.
 */
export class NotificationsCore {
  private constructor(
    readonly module: TestingModule,
    readonly clock: ManualClock,
    private readonly dataDir: string,
    private readonly logger: RecordingLogger,
  ) {}

  /**
   * The errors and warnings Herald's loggers wrote while this core ran (errors are shown
   * too). Only this core's: a test that watched the process's output would also see what
   * another suite in the same Jest process left running writes meanwhile.
   */
  get logged(): readonly LoggedLine[] {
    return this.logger.lines;
  }

  /**
   * `clockStart`: where the ManualClock starts (default 2026-01-05 09:00 UTC);
   * `channels`: the delivery channels' modules (default the email channel's);
   * `audiences`: the audience sources' modules (default the console's people);
   * `clock`: a ManualClock of the test's own (then `clockStart` is its start).
   */
  static async start(
    env: Record<string, string> = {},
    { clockStart, clock = new ManualClock(clockStart), channels = [EmailModule], audiences = [PeopleAudienceModule] }: { clockStart?: number; clock?: ManualClock; channels?: Array<Type | DynamicModule>; audiences?: Array<Type | DynamicModule> } = {},
  ): Promise<NotificationsCore> {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-core-'));
    const fullEnv = { DATA_DIR: dataDir, SQLITE_PATH: ':memory:', JWT_SECRET: 'unit-secret-that-is-long-enough-for-hs256', HERALD_SECRET_KEY: 'a'.repeat(64), LOG_LEVEL: 'error', ...env };
    const config = new HeraldConfig(validateEnvironment(fullEnv), fullEnv);
    const module = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(clock),
        AuthModule, // the signed preferences links' key
        EventEmitterModule.forRoot(),
        ThrottlerModule.forRoot({ throttlers: [{ name: 'smtp-check', ttl: 60_000, limit: 10 }] }), // the settings' GraphQL guard
        DatabaseModule,
        NotificationsModule,
        NotificationsPortsModule,
        ...channels,
        ...audiences,
      ],
    }).compile();
    const logger = new RecordingLogger();
    module.useLogger(logger);
    await module.init();
    return new NotificationsCore(module, clock, dataDir, logger);
  }

  get<T>(type: abstract new (...args: never[]) => T): T {
    return this.module.get(type as never, { strict: false });
  }

  get dataSource(): DataSource {
    return this.get(DataSource);
  }

  /** Takes an event in as the in-process emitter does. */
  ingest(event: object): ReturnType<JobEventIngestionService['ingest']> {
    return this.get(JobEventIngestionService).ingest(event, 'emitter');
  }

  /** The deliveries of an event, in the order they were written. */
  async deliveriesOf(eventId: string): Promise<DeliveryEntity[]> {
    const ids = (await this.dataSource.getRepository(DeliveryEventEntity).findBy({ eventId })).map((e) => e.deliveryId);
    return this.dataSource.getRepository(DeliveryEntity).find({ where: { id: In(ids) }, order: { id: 'ASC' } });
  }

  /** Points the relay at a local SMTP server; resolves once the dispatcher has seen it (and offers to take fresh deliveries). */
  async useRelay(port: number): Promise<void> {
    await this.get(SmtpSettingsService).update({ host: '127.0.0.1', port, security: SmtpSecurity.NONE, authEnabled: false, sender: 'Herald <herald@example.com>' }, { id: 'test', name: null });
    await eventually(async () => {
      if (this.get(Dispatcher).room(['email']) === 0) throw new Error('the dispatcher has not seen the relay yet');
    });
  }

  /** An application and its managers (each with an email address, notifications on). */
  /** An application managed by `people`: those not seen yet are created; those already there (another application's) are given it too. */
  async seedApplication(applicationId: string, people: string[]): Promise<void> {
    const ds = this.dataSource;
    await ds.getRepository(ApplicationEntity).insert({ externalId: applicationId, name: `App ${applicationId}` });
    const app = await ds.getRepository(ApplicationEntity).findOneByOrFail({ externalId: applicationId });
    for (const id of people) {
      let user = await ds.getRepository(UserEntity).findOneBy({ externalId: id });
      if (!user) {
        await ds.getRepository(UserEntity).insert({ externalId: id, displayName: id, email: `${id}@example.com`, emailKey: addressKey(`${id}@example.com`), notificationsEnabled: true, locale: 'en' });
        user = await ds.getRepository(UserEntity).findOneByOrFail({ externalId: id });
      }
      await ds.getRepository(MembershipEntity).insert({ applicationId: app.id, userId: user.id, role: MembershipRole.MANAGE });
    }
  }

  async close(): Promise<void> {
    await this.module.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface LoggedLine {
  level: 'error' | 'warn';
  context?: string;
  message: string;
}

/** Keeps errors and warnings (and shows the errors, as `useLogger(['error'])` did); drops the rest. */
class RecordingLogger implements LoggerService {
  readonly lines: LoggedLine[] = [];
  private readonly console = new ConsoleLogger({ logLevels: ['error'] });

  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
    this.console.error(message, ...rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }

  log(): void {}

  private keep(level: LoggedLine['level'], message: unknown, rest: unknown[]): void {
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    this.lines.push({ level, context, message: message instanceof Error ? message.message : String(message) });
  }
}
