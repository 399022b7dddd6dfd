import type { JobEvent } from '@herald/contracts';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { deliveredTypeOf, type NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes } from '../../event-types/registry';
import { MailRenderer } from './mail-renderer';

// Every mail Herald can write, as it is written today (subject, text and HTML), in English
// (UTC) and in French (Europe/Paris), kept in
// __snapshots__/: a change to templates, view models or the renderer that changes a mail
// shows up here, byte for byte. Update the snapshot (jest -u) only for an intended change.

const app = { id: 'app 1', name: 'Billing <Core> & "Co"' };
const job = { id: 'job-7', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:02:05Z' };
const base = { schemaVersion: 1, id: 'e1', occurredAt: '2026-11-24T10:02:05+01:00', application: app };

/** Per type, events that take every branch of its templates and subject. */
const EVENTS: Record<string, object> = {
  'JOB_SUCCEEDED with times': { ...base, type: 'JOB_SUCCEEDED', job },
  'JOB_SUCCEEDED without times': { ...base, type: 'JOB_SUCCEEDED', job: { id: 'j', kind: 'snapshot' } },
  'JOB_FAILED with step and log': {
    ...base,
    type: 'JOB_FAILED',
    job,
    error: { message: 'Out of <memory>\nat line 2', step: 'Run "analyzer"', logExcerpt: '  a < b\n\tc & d\n' },
  },
  'JOB_FAILED with a log shortened on the way in': {
    ...base,
    type: 'JOB_FAILED',
    job,
    error: { message: 'x', logExcerpt: '… 34488 characters cut\nCaused by: OutOfMemoryError\nexit 137' },
  },
  'JOB_FAILED without step or log': { ...base, type: 'JOB_FAILED', job: { id: 'j', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z' }, error: { message: 'x' } },
  'JOB_FAILED still failing (3rd in a row)': {
    ...base,
    type: 'JOB_FAILED',
    job,
    error: { message: 'x', step: 'Run "analyzer"' },
    history: { failuresInRow: 3, firstFailureAt: '2026-11-24T07:30:00.000Z' },
  },
  'JOB_RECOVERED after 1 failure': { ...base, type: 'JOB_SUCCEEDED', job, history: { deliveredAs: 'JOB_RECOVERED', failuresInRow: 1, firstFailureAt: '2026-11-24T08:00:00.000Z' } },
  'JOB_RECOVERED after 5 failures, without times': {
    ...base,
    type: 'JOB_SUCCEEDED',
    job: { id: 'j', kind: 'snapshot' },
    history: { deliveredAs: 'JOB_RECOVERED', failuresInRow: 5, firstFailureAt: '2026-11-23T22:15:00.000Z' },
  },
  'JOB_STOPPED by a named person': { ...base, type: 'JOB_STOPPED', job: { ...job, endedAt: '2026-11-24T09:03:20Z' }, stoppedBy: { id: 'bob', name: 'Bob <b>' } },
  'JOB_STOPPED by an id': { ...base, type: 'JOB_STOPPED', job: { id: 'j', kind: 'analysis' }, stoppedBy: { id: 'bob' } },
  'APPLICATION_CREATED by a named person': { ...base, type: 'APPLICATION_CREATED', createdBy: { id: 'ann', name: 'Ann & Co' } },
  'APPLICATION_CREATED by an id': { ...base, type: 'APPLICATION_CREATED', createdBy: { id: 'ann' } },
  'APPLICATION_CREATED by nobody named': { ...base, type: 'APPLICATION_CREATED' },
  'VERSION_CREATED by a named person': { ...base, type: 'VERSION_CREATED', version: { name: 'v2 <rc>', id: 'v-2' }, createdBy: { id: 'ann', name: 'Ann' } },
  'VERSION_CREATED by nobody named': { ...base, type: 'VERSION_CREATED', version: { name: 'v2' } },
};

/** Every registered type's example (`<type>.example.json` in its folder): a new type is kept from its first run on. */
const EXAMPLES: Record<string, object> = Object.fromEntries(
  allEventTypes().map((d) => [`${d.type}, its example`, JSON.parse(readFileSync(join(d.folder, `${basename(d.folder)}.example.json`), 'utf8')) as object]),
);

describe('rendered mails', () => {
  const renderer = new MailRenderer();

  it('cover every registered type, those Herald derives too', () => {
    const covered = new Set(Object.values({ ...EVENTS, ...EXAMPLES }).map((e) => deliveredTypeOf(e as NotifiedEvent)));
    expect(allEventTypes().filter((d) => !covered.has(d.type)).map((d) => d.type)).toEqual([]);
  });

  for (const [name, event] of Object.entries({ ...EVENTS, ...EXAMPLES })) {
    it(`stay as they are: ${name}`, () => {
      expect(renderer.render(event as JobEvent, { gatewayUri: 'http://console:8081/' })).toMatchSnapshot();
    });
  }

  // The same mails in French, for someone in Paris (times in CET, French quotes and colons).
  for (const [name, event] of Object.entries({ ...EVENTS, ...EXAMPLES })) {
    it(`stay as they are in French: ${name}`, () => {
      expect(renderer.render(event as JobEvent, { gatewayUri: 'http://console:8081/' }, { locale: 'fr', timeZone: 'Europe/Paris' })).toMatchSnapshot();
    });
  }

  it('stay as they are: a digest of several types and applications (grouped, newest first, errors in one short line)', () => {
    const other = { id: 'payroll', name: 'Payroll' };
    const events = [
      EVENTS['JOB_FAILED with step and log'],
      { ...(EVENTS['JOB_SUCCEEDED with times'] as object), id: 'e2', occurredAt: '2026-11-24T11:00:00Z' },
      { ...(EVENTS['JOB_FAILED without step or log'] as object), id: 'e3', occurredAt: '2026-11-24T10:30:00Z', application: other, error: { message: 'y'.repeat(300) } },
      EVENTS['JOB_RECOVERED after 1 failure'],
    ] as NotifiedEvent[];
    expect(renderer.renderDigest(events, { gatewayUri: 'http://console:8081/' })).toMatchSnapshot();
    // The same digest for a French reader in Paris: French words and plurals, times in CET.
    const french = renderer.renderDigest(events, { gatewayUri: 'http://console:8081/' }, { locale: 'fr', timeZone: 'Europe/Paris' });
    expect(french).toMatchSnapshot();
    expect(french.subject).toBe('Votre résumé Herald : 4 événements dans 2 applications');
    expect(french.html).toContain('<html lang="fr">');
    expect(french.text).toMatch(/24 nov\. 2026, \d\d:\d\d CET/);
    expect(french.text).not.toMatch(/UTC|AM|PM/);
  });

  it.each([
    ['en', 'UTC'],
    ['fr', 'Europe/Paris'],
  ])('stay as they are: a cap summary in %s (counts by type per application, then each event; escaped)', (locale, timeZone) => {
    const other = { id: 'payroll', name: 'Payroll <&>' };
    const events = [
      EVENTS['JOB_FAILED with step and log'],
      { ...(EVENTS['JOB_FAILED without step or log'] as object), id: 'e2', occurredAt: '2026-11-24T10:40:00Z' },
      { ...(EVENTS['JOB_FAILED without step or log'] as object), id: 'e3', occurredAt: '2026-11-24T10:45:00Z', application: other },
      EVENTS['JOB_RECOVERED after 1 failure'],
    ] as NotifiedEvent[];
    const window = { start: new Date('2026-11-24T10:35:00Z'), end: new Date('2026-11-24T10:45:00Z'), cap: 20 };
    expect(renderer.renderSummary(events, window, { gatewayUri: 'http://console:8081/' }, { locale, timeZone })).toMatchSnapshot();
  });

  it('stay as they are without a gateway URI', () => {
    expect(renderer.render(EVENTS['JOB_FAILED with step and log'] as JobEvent, { gatewayUri: null })).toMatchSnapshot();
  });
});
