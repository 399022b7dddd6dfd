import { EventEmitter2 } from '@nestjs/event-emitter';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { AuditLog } from '../audit-log/audit-log.service';
import { SYSTEM_ACTOR } from '../audit-log/audit-actor';
import { MailTransportKind, SmtpAuthMethod, SmtpSecurity } from './smtp-settings';
import { SmtpSettingsChangedEvent } from './smtp-settings-changed.event';
import { SmtpSettingsService } from './smtp-settings.service';

const REFRESH_MS = 600_000;

/** The settings on SQLite in memory, with time moved by hand: changes stamped, announced, and noticed when made elsewhere. */
describe('SmtpSettingsService', () => {
  let core: NotificationsCore;
  let settings: SmtpSettingsService;
  let announced: SmtpSettingsChangedEvent[];

  beforeEach(async () => {
    core = await NotificationsCore.start({ SETTINGS_REFRESH_INTERVAL_MS: String(REFRESH_MS) });
    settings = core.get(SmtpSettingsService);
    announced = [];
    core.get(EventEmitter2).on(SmtpSettingsChangedEvent.NAME, (e: SmtpSettingsChangedEvent) => announced.push(e));
  });
  afterEach(() => core?.close());

  it('stores a change stamped with the time and the actor, and announces it', async () => {
    core.clock.advance(60_000);
    const saved = await settings.update({ host: 'relay.example.com', port: 2525, security: SmtpSecurity.NONE, authEnabled: false, sender: 'Herald <h@example.com>' }, { id: 'admin-1', name: null });
    expect(saved).toMatchObject({ host: 'relay.example.com', port: 2525, updatedBy: 'admin-1', updatedAt: core.clock.date() });
    expect(announced.map((e) => e.settings.host)).toEqual(['relay.example.com']);
  });

  it("writes the change's audit entry stamped by the clock, as the settings are", async () => {
    core.clock.advance(90_000);
    const saved = await settings.update({ host: 'relay.example.com', authEnabled: false, sender: 'Herald <h@example.com>', password: 's3cret' }, { id: 'admin-1', name: 'Ada' });
    const [entry] = (await core.get(AuditLog).list()).edges.map((e) => e.node);
    expect(entry).toMatchObject({ kind: 'SMTP_SETTINGS', target: 'smtpSettings', actorId: 'admin-1', actorName: 'Ada', at: core.clock.date() });
    expect(saved.updatedAt).toEqual(core.clock.date());
    expect(entry.fields.map((f) => f.field)).toEqual(['host', 'sender', 'password', 'authEnabled', 'authMethod']);
    expect(entry.fields.find((f) => f.field === 'password')).toEqual({ field: 'password', secret: true, before: null, after: null });
  });

  it('refuses an audit entry written outside the transaction of its change', async () => {
    const record = core.get(AuditLog).record(core.dataSource.manager, { kind: 'SMTP_SETTINGS' as never, target: 'smtpSettings', actor: { id: 'x', name: null }, fields: [] });
    await expect(record).rejects.toThrow(/one transaction/);
  });

  it('refuses invalid input naming the field, and changes nothing', async () => {
    const before = await settings.get();
    const error = await settings.update({ host: 'relay.example.com', authEnabled: true }, { id: 'admin-1', name: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).fields.map((f) => f.field)).toEqual(['username']);
    expect(await settings.get()).toEqual(before);
    expect(announced).toEqual([]);
  });

  it('seeds a key new to an existing database (after an upgrade) only where the stored settings can take it: MICROSOFT_GRAPH over a password is refused, naming transport, and nothing is written', async () => {
    await settings.update({ host: 'relay.example.com', username: 'herald', password: 'p', sender: 'h@example.com' }, { id: 'admin-1', name: null });
    await core.dataSource.query(`DELETE FROM properties WHERE key IN ('mail.transport', 'graph.endpoint')`);
    const graph = { transport: MailTransportKind.MICROSOFT_GRAPH, authMethod: SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS, oauth2TenantId: 't', oauth2ClientId: 'c', oauth2ClientSecret: 's' };
    const error = await settings.seed(graph, SYSTEM_ACTOR, 'seed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).fields).toEqual([{ field: 'transport', message: expect.stringContaining('while the stored authMethod is PASSWORD') }]);
    expect(await core.dataSource.query(`SELECT key FROM properties WHERE key IN ('mail.transport', 'graph.endpoint')`)).toEqual([]);

    await settings.update({ authMethod: SmtpAuthMethod.OAUTH2_CLIENT_CREDENTIALS, oauth2TenantId: 't', oauth2ClientId: 'c', oauth2ClientSecret: 's' }, { id: 'admin-1', name: null });
    await core.dataSource.query(`DELETE FROM properties WHERE key IN ('mail.transport', 'graph.endpoint')`);
    expect(await settings.seed(graph, SYSTEM_ACTOR, 'seed')).toEqual(['mail.transport', 'graph.endpoint']);
    expect(await settings.get()).toMatchObject({ transport: MailTransportKind.MICROSOFT_GRAPH, host: 'relay.example.com', graphEndpoint: 'https://graph.microsoft.com' });
  });

  it('a re-read that began before a change made here, and ends after it, does not bring the old settings back', async () => {
    const actor = { id: 'admin-1', name: null };
    await settings.update({ host: 'relay.example.com', authEnabled: false, sender: 'Herald <h@example.com>' }, actor);
    const service = settings as unknown as { load(...args: unknown[]): Promise<unknown> };
    const load = service.load.bind(settings);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(service, 'load').mockImplementationOnce(async (...args: unknown[]) => {
      const read = await load(...args); // the rows as they are now: port 587…
      await held; // …handed back only after the change below
      return read;
    });
    const rereading = settings.refresh();
    await settings.update({ port: 2626 }, actor);
    release();
    await rereading;
    expect((await settings.get()).port).toBe(2626);
    expect(announced.map((e) => e.settings.port)).toEqual([587, 2626]);
  });

  it('notices a change made by another process at its next re-read, and announces it', async () => {
    await settings.update({ host: 'relay.example.com', authEnabled: false, sender: 'Herald <h@example.com>' }, { id: 'admin-1', name: null });
    // Another Herald process on the same database changes the port.
    await core.dataSource.query(`UPDATE properties SET value = '2626', updated_by = 'elsewhere' WHERE key = 'smtp.port'`);
    expect((await settings.get()).port).not.toBe(2626); // cached until the re-read

    core.clock.advance(REFRESH_MS);
    const seen = await eventually(async () => {
      expect(announced).toHaveLength(2);
      return announced[1].settings;
    });
    expect(seen).toMatchObject({ port: 2626 });
    expect((await settings.get()).port).toBe(2626);
  });
});
