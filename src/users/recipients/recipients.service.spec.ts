import type { DataSource } from 'typeorm';
import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import { SqlStatement } from '../../database/sql';
import { NotificationType } from '../../event-types/notification-type';
import { ApplicationDefaultEntity } from '../application-defaults/application-default.entity';
import { ApplicationEntity } from '../entities/application.entity';
import { MembershipEntity, MembershipRole } from '../entities/membership.entity';
import { PreferenceEntity } from '../entities/preference.entity';
import { UserEntity } from '../entities/user.entity';
import { AddressSuspensionEntity } from '../suspensions/address-suspension.entity';
import { addressKey } from '../suspensions/address-suspensions';
import { RecipientsService } from './recipients.service';

describe.each(testDatabases('herald_readers'))('RecipientsService.readersOf: who still receives a mail ($name)', ({ database: databaseOf }) => {
  const database = databaseOf();
  let dataSource: DataSource;
  let recipients: RecipientsService;
  const ids = new Map<string, number>();
  const people: string[] = [];

  beforeAll(async () => {
    ({ dataSource } = await openDatabase(database, [UserEntity, ApplicationEntity, MembershipEntity, PreferenceEntity, AddressSuspensionEntity, ApplicationDefaultEntity]));
    recipients = new RecipientsService(dataSource);
    for (const app of ['app-1', 'app-2']) {
      await dataSource.getRepository(ApplicationEntity).insert({ externalId: app, name: app });
      ids.set(app, (await dataSource.getRepository(ApplicationEntity).findOneByOrFail({ externalId: app })).id);
    }
    const person = async (externalId: string, fields: Partial<UserEntity> = {}, manages = ['app-1'], role = MembershipRole.MANAGE) => {
      const row = { externalId, email: `${externalId}@example.com`, displayName: externalId.toUpperCase(), notificationsEnabled: true, locale: 'fr', timeZone: 'Europe/Paris', ...fields };
      // As UsersService writes a person: with the key address suspensions are matched on.
      await dataSource.getRepository(UserEntity).insert({ ...row, emailKey: row.email ? addressKey(row.email) : null });
      const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ externalId });
      ids.set(externalId, user.id);
      people.push(externalId);
      for (const app of manages) await dataSource.getRepository(MembershipEntity).insert({ applicationId: ids.get(app)!, userId: user.id, role });
    };
    const preference = (person: string, eventType: string, app: string | null, enabled: boolean) =>
      dataSource.getRepository(PreferenceEntity).insert({ userId: ids.get(person)!, eventType, applicationId: app ? ids.get(app)! : null, enabled, frequency: null });
    await person('ann');
    await person('viewer', {}, ['app-1'], MembershipRole.VIEW);
    await person('off', { notificationsEnabled: false });
    await person('mute-app', {}, ['app-1', 'app-2']);
    await preference('mute-app', 'JOB_FAILED', 'app-1', false);
    await person('mute-all');
    await preference('mute-all', 'JOB_FAILED', null, false);
    await person('app-wins');
    await preference('app-wins', 'JOB_FAILED', null, false);
    await preference('app-wins', 'JOB_FAILED', 'app-1', true);
    // app-2's defaults: JOB_SUCCEEDED off, JOB_FAILED in a daily digest; a person's own choice wins.
    const appDefault = (eventType: string, frequency: string, digestHour: number | null = null) =>
      dataSource.getRepository(ApplicationDefaultEntity).insert({ applicationId: ids.get('app-2')!, eventType, frequency, digestHour, updatedAt: new Date(0), updatedBy: 'admin' });
    await appDefault('JOB_SUCCEEDED', 'NEVER');
    await appDefault('JOB_FAILED', 'DIGEST_DAILY', 7);
    await person('keeps-success', {}, ['app-2']);
    await preference('keeps-success', 'JOB_SUCCEEDED', null, true);
    await person('nomail', { email: null });
    await person('Bounced', { email: 'Bounced@Example.com' });
    const retryAt = new Date(Date.UTC(2026, 11, 1, 9));
    await dataSource.getRepository(AddressSuspensionEntity).insert({ address: 'bounced@example.com', hardBounces: 0, suspendedAt: new Date(Date.UTC(2026, 10, 24, 9)), reason: '5.1.1 unknown user', retryAt, retryDeliveryId: null });
    await person('was-bounced', { email: 'was-bounced@example.com' });
    await dataSource.getRepository(AddressSuspensionEntity).insert({ address: 'was-bounced@example.com', hardBounces: 1, suspendedAt: null, reason: null, liftedAt: new Date(Date.UTC(2026, 10, 25)) });
  });
  afterAll(async () => {
    if (database.type === 'postgres') await dataSource.query(`DROP SCHEMA "${database.schema}" CASCADE`);
    await dataSource.destroy();
  });

  it("answers a batch in one statement, in the order asked, with each failing condition in planning's order and the person as they are now", async () => {
    const ask = (recipientId: string, applicationId = 'app-1', eventType = NotificationType.JOB_FAILED) => ({ recipientId, applicationId, eventType });
    const query = jest.spyOn(SqlStatement.prototype, 'query');
    const answers = await recipients.readersOf([
      ask('ann'),
      ask('viewer'),
      ask('ann', 'app-2'),
      ask('ann', 'app-gone'),
      ask('nobody'),
      ask('off'),
      ask('mute-app'),
      ask('mute-app', 'app-2'),
      ask('mute-app', 'app-1', NotificationType.JOB_SUCCEEDED),
      ask('mute-all'),
      ask('app-wins'),
      ask('nomail'),
      ask('ann'), // asked twice in a batch: answered twice
      ask('Bounced'),
      ask('was-bounced'),
    ]);
    expect(query).toHaveBeenCalledTimes(1);
    query.mockRestore();
    const ann = { reads: true, email: 'ann@example.com', displayName: 'ANN', locale: 'fr', timeZone: 'Europe/Paris', suspension: null };
    expect(answers).toEqual([
      ann,
      { reads: false, reason: 'no longer a manager of app-1' }, // VIEW brings no mails
      { reads: false, reason: 'no longer a manager of app-2' },
      { reads: false, reason: 'no longer a manager of app-gone' }, // the application deleted
      { reads: false, reason: 'no longer known to Herald' },
      { reads: false, reason: 'notifications switched off' },
      { reads: false, reason: 'JOB_FAILED switched off for app-1' },
      expect.objectContaining({ reads: true, email: 'mute-app@example.com' }),
      expect.objectContaining({ reads: true }),
      { reads: false, reason: 'JOB_FAILED switched off for every application' },
      expect.objectContaining({ reads: true }), // the application's choice wins over the global one
      { reads: false, reason: 'no email address' },
      ann,
      // A reader whose address is suspended after bounces (any case): said, for the dispatcher to cancel the mail or try the address again.
      {
        reads: true, email: 'Bounced@Example.com', displayName: 'BOUNCED', locale: 'fr', timeZone: 'Europe/Paris',
        suspension: { address: 'bounced@example.com', reason: '5.1.1 unknown user', retryAt: new Date(Date.UTC(2026, 11, 1, 9)), retryDeliveryId: null },
      },
      expect.objectContaining({ reads: true, suspension: null }), // a suspension lifted
    ]);
    expect(await recipients.readersOf([])).toEqual([]);
  });

  it("applies an application's defaults to people who have not chosen, and lets each person's own choice win, saying which rule decided", async () => {
    const byRule = async (app: string, type: NotificationType) => (await recipients.recipientsFor(app, type)).map((r) => [r.externalId, r.frequency, r.digestHour, r.rule]);
    expect(await byRule('app-2', NotificationType.JOB_SUCCEEDED)).toEqual([['keeps-success', 'IMMEDIATELY', null, 'PERSON_GLOBAL']]);
    expect(await byRule('app-2', NotificationType.JOB_FAILED)).toEqual([
      ['mute-app', 'DIGEST_DAILY', 7, 'APPLICATION_DEFAULT'],
      ['keeps-success', 'DIGEST_DAILY', 7, 'APPLICATION_DEFAULT'],
    ]);
    expect((await byRule('app-1', NotificationType.JOB_FAILED)).find(([id]) => id === 'app-wins')).toEqual(['app-wins', 'IMMEDIATELY', null, 'PERSON_APPLICATION']);
    expect((await byRule('app-1', NotificationType.JOB_FAILED)).find(([id]) => id === 'ann')).toEqual(['ann', 'IMMEDIATELY', null, 'TYPE_DEFAULT']);
    expect(await recipients.readersOf([{ recipientId: 'mute-app', applicationId: 'app-2', eventType: NotificationType.JOB_SUCCEEDED }])).toEqual([
      { reads: false, reason: 'JOB_SUCCEEDED is off by default for app-2 (its notification defaults)' },
    ]);
    const audience = await recipients.audienceOf('app-2', NotificationType.JOB_SUCCEEDED);
    expect(audience.map((m) => [m.externalId, m.frequency, m.chosen])).toEqual([
      ['mute-app', 'NEVER', false],
      ['keeps-success', 'IMMEDIATELY', true],
    ]);
  });

  it('agrees with recipientsFor, the planning query, for every person', async () => {
    for (const type of [NotificationType.JOB_FAILED, NotificationType.JOB_SUCCEEDED]) {
      for (const app of ['app-1', 'app-2']) {
        const planned = new Set((await recipients.recipientsFor(app, type)).map((r) => r.externalId));
        const answers = await recipients.readersOf(people.map((recipientId) => ({ recipientId, applicationId: app, eventType: type })));
        expect(people.filter((_, i) => answers[i].reads)).toEqual(people.filter((p) => planned.has(p)));
      }
    }
  });
});
