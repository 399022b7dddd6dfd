import { DataSource } from 'typeorm';
import { Role } from '../../auth/role.enum';
import { ManualClock } from '../../clock/manual-clock';
import { HeraldConfig } from '../../config/herald-config';
import { validateEnvironment } from '../../config/validate-environment';
import { DatabaseHealth } from '../../database/database-health';
import { Transactions } from '../../database/transactions';
import { AuditEntryEntity } from '../../settings/audit-log/audit-entry.entity';
import { AuditLog } from '../../settings/audit-log/audit-log.service';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { PropertyEntity } from '../../settings/property.entity';
import { ApplicationEntity } from '../entities/application.entity';
import { QuietHoursEntity } from './quiet-hours.entity';
import { QuietHoursService } from './quiet-hours.service';

/** Which quiet hours decide, for whom, until when: the planner's one question. */
describe('QuietHoursService.heldUntil', () => {
  let dataSource: DataSource;
  let service: QuietHoursService;
  const admin = { sub: 'admin', roles: [Role.ADMIN] };
  // Tuesday 2026-11-24, 23:00 in Paris (22:00 UTC), 17:00 in New York.
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 22));

  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [QuietHoursEntity, ApplicationEntity, PropertyEntity, AuditEntryEntity], synchronize: true }).initialize();
    const env = { DATA_DIR: '/tmp/herald-unit' };
    const config = new HeraldConfig(validateEnvironment(env), env);
    const transactions = new Transactions(dataSource, new DatabaseHealth(clock));
    const audit = new AuditLog(dataSource, clock);
    service = new QuietHoursService(dataSource, transactions, audit, new MailDefaultsService(dataSource, config, transactions, clock, audit), clock);
    await dataSource.getRepository(ApplicationEntity).insert([{ externalId: 'billing', name: 'Billing' }, { externalId: 'payroll', name: 'Payroll' }]);
  });
  afterEach(() => dataSource.destroy());

  const iso = (m: Map<string, Date>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toISOString()]));
  const readers = [
    { externalId: 'ann', timeZone: 'Europe/Paris' },
    { externalId: 'bob', timeZone: 'America/New_York' },
    { externalId: 'cy', timeZone: 'Europe/Paris' },
  ];

  it('nobody set any: nobody held', async () => {
    expect(iso(await service.heldUntil(readers, 'billing', 'JOB_SUCCEEDED'))).toEqual({});
  });

  it("the installation's default, in each person's zone; an application's wins over it; a person's own wins over both", async () => {
    await service.updateDefaults({ enabled: true, start: '20:00', end: '07:00' }, admin);
    // 23:00 in Paris: ann and cy held until 07:00 Paris; 17:00 in New York: bob not.
    expect(iso(await service.heldUntil(readers, 'billing', 'JOB_SUCCEEDED'))).toEqual({ ann: '2026-11-25T06:00:00.000Z', cy: '2026-11-25T06:00:00.000Z' });
    await service.updateDefaults({ applicationId: 'billing', enabled: false }, admin);
    expect(iso(await service.heldUntil(readers, 'billing', 'JOB_SUCCEEDED'))).toEqual({});
    expect(iso(await service.heldUntil(readers, 'payroll', 'JOB_SUCCEEDED'))).toEqual({ ann: '2026-11-25T06:00:00.000Z', cy: '2026-11-25T06:00:00.000Z' });
    await service.setMine('bob', { enabled: true, start: '16:00', end: '18:30' });
    await service.setMine('cy', { enabled: false });
    expect(iso(await service.heldUntil(readers, 'billing', 'JOB_SUCCEEDED'))).toEqual({ bob: '2026-11-24T23:30:00.000Z' });
    expect(iso(await service.heldUntil(readers, 'payroll', 'JOB_SUCCEEDED'))).toEqual({ ann: '2026-11-25T06:00:00.000Z', bob: '2026-11-24T23:30:00.000Z' });
  });

  it('types that break through are never held (JOB_FAILED unless chosen otherwise); a zone the quiet hours name beats the person\'s', async () => {
    await service.setMine('ann', { enabled: true, start: '20:00', end: '07:00' });
    await service.setMine('bob', { enabled: true, start: '20:00', end: '07:00', timeZone: 'Europe/Paris', breakThrough: [] });
    expect(iso(await service.heldUntil(readers, 'billing', 'JOB_FAILED'))).toEqual({ bob: '2026-11-25T06:00:00.000Z' });
    expect(iso(await service.heldUntil(readers, 'billing', 'VERSION_CREATED'))).toEqual({ ann: '2026-11-25T06:00:00.000Z', bob: '2026-11-25T06:00:00.000Z' });
  });
});
