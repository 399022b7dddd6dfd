import { allEventTypes } from '../../event-types/registry';
import type { NotificationType, NotifiedEvent } from '../../event-types/notification-type';
import { FileTemplateSource } from './file-template-source';
import type { MailBranding } from './mail-branding';
import { MailRenderer } from './mail-renderer';
import { exampleEventsOf, flatten, INTERNAL_VARIABLES, variablesOf } from './template-variables';

// The variables mailTemplateVariables lists are those the renderer gives: every path it
// passes to a type's templates is listed for that type, and every listed one is passed
// for some event of the type. A change to MailRenderer.context or to a type's view that
// is not described (or a description left behind) fails here, named.

/** Events that take the branches the examples do not (values absent or present). */
const BRANCHES: NotifiedEvent[] = [
  { schemaVersion: 1, id: 'b1', type: 'JOB_FAILED', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'a', name: 'A' }, job: { id: 'j', kind: 'analysis' }, error: { message: 'x' } },
  {
    schemaVersion: 1,
    id: 'b2',
    type: 'JOB_FAILED',
    occurredAt: '2026-11-24T10:00:00Z',
    application: { id: 'a', name: 'A' },
    job: { id: 'j', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:00:00Z' },
    error: { message: 'x', step: 's', logExcerpt: '… 345 characters cut\nend' },
    history: { failuresInRow: 2, firstFailureAt: '2026-11-24T08:00:00Z' },
  },
  { schemaVersion: 1, id: 'b3', type: 'JOB_STOPPED', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'a', name: 'A' }, job: { id: 'j', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:00:00Z' }, stoppedBy: { id: 'bob' } },
  { schemaVersion: 1, id: 'b4', type: 'APPLICATION_CREATED', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'a', name: 'A' }, createdBy: { id: 'ann', name: 'Ann' } },
  { schemaVersion: 1, id: 'b5', type: 'VERSION_CREATED', occurredAt: '2026-11-24T10:00:00Z', application: { id: 'a', name: 'A' }, version: { name: 'v2', id: 'v-2' }, createdBy: { id: 'ann' } },
] as NotifiedEvent[];

class BrandedSource extends FileTemplateSource {
  branding(): MailBranding {
    return { productName: 'ACME', logo: { url: 'https://acme.example/logo.png' }, accentColor: '#ff6600', footer: 'ACME Corp', helpLink: 'https://help.acme.example' };
  }
}

describe('template variables', () => {
  const renderers = [new MailRenderer(), new MailRenderer(new BrandedSource())];
  const passed = (event: NotifiedEvent) =>
    new Set(renderers.flatMap((r) => [...flatten(r.contextOf(event, { gatewayUri: 'https://console.example' }, { locale: 'fr', timeZone: 'Europe/Paris' })).keys()]).filter((p) => ![...INTERNAL_VARIABLES].some((i) => p === i || p.startsWith(`${i}.`))));
  const eventsOf = (type: NotificationType) => [...exampleEventsOf(type), ...BRANCHES.filter((e) => e.type === type && !e.history?.deliveredAs)];

  describe.each(allEventTypes().map((d) => [d.type] as const))('%s', (type) => {
    const listed = variablesOf(type).map((v) => v.name);

    it('lists every variable the renderer gives its templates', () => {
      const unlisted = eventsOf(type).flatMap((event) => [...passed(event)].filter((p) => !listed.includes(p)).map((p) => `${event.id}: ${p}`));
      expect(unlisted).toEqual([]);
    });

    it('lists only variables the renderer gives (for some event of the type; the job\'s parts for some event of any type)', () => {
      const given = new Set(eventsOf(type).flatMap((event) => [...passed(event)]));
      // A job's times are optional on the wire: an example without them still has a job like any other's.
      const anyJob = new Set(allEventTypes().flatMap((d) => eventsOf(d.type).flatMap((event) => [...passed(event)])).filter((p) => p.startsWith('job.')));
      expect(listed.filter((v) => !given.has(v) && !(v.startsWith('job.') && given.has('job') && anyJob.has(v)))).toEqual([]);
    });

    it('describes each variable, once', () => {
      expect(variablesOf(type).filter((v) => !v.description.trim()).map((v) => v.name)).toEqual([]);
      expect(listed.filter((v, i) => listed.indexOf(v) !== i)).toEqual([]);
    });
  });

  it("lists for the layout what every type's mail gives (the job's where there is one)", () => {
    const given = new Set(allEventTypes().flatMap((d) => eventsOf(d.type).flatMap((event) => [...passed(event)])));
    const layout = variablesOf('layout').map((v) => v.name);
    expect(layout.filter((v) => !given.has(v))).toEqual([]);
    for (const definition of allEventTypes()) {
      const own = variablesOf(definition.type).map((v) => v.name);
      expect({ type: definition.type, missing: layout.filter((v) => !v.startsWith('job') && !own.includes(v)) }).toEqual({ type: definition.type, missing: [] });
    }
  });
});
