import { NotificationsCore } from '../../../test/support/notifications-core';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { ReportMailboxSettingsModel } from './report-mailbox-settings.model';
import { ReportMailboxSettingsService } from './report-mailbox-settings.service';
import type { UpdateReportMailboxSettingsInput } from './update-report-mailbox-settings.input';

/** The report mailbox settings on SQLite in memory: what updateReportMailboxSettings saves, or refuses. */
describe('ReportMailboxSettingsService', () => {
  let core: NotificationsCore;
  let settings: ReportMailboxSettingsService;

  beforeEach(async () => {
    core = await NotificationsCore.start({ SETTINGS_REFRESH_INTERVAL_MS: '600000' });
    settings = core.get(ReportMailboxSettingsService);
  });
  afterEach(() => core?.close());

  it('refuses null for a field that always has a value, naming each, and saves nothing', async () => {
    const before = await settings.get();
    const input = { protocol: null, port: null, security: null, authMethod: null, pollIntervalSeconds: null, verifyCertificate: null } as unknown as UpdateReportMailboxSettingsInput;
    const error = await settings.update(input, { id: 'admin-1', name: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).fields.map((f) => f.field).sort()).toEqual(['authMethod', 'pollIntervalSeconds', 'port', 'protocol', 'security', 'verifyCertificate']);
    const after = await settings.get();
    expect(after).toEqual(before);
    expect(ReportMailboxSettingsModel.from(after)).toMatchObject({ port: 993, pollIntervalSeconds: 60, verifyCertificate: true });
  });
});
