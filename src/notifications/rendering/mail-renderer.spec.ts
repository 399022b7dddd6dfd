import { JobEventType, type JobEvent } from '@herald/contracts';
import { OverrideTemplateSource } from '../../../test/support/override-template-source';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { FileTemplateSource } from './file-template-source';
import type { MailBranding } from './mail-branding';
import { MailRenderer } from './mail-renderer';

const app = { id: 'app 1', name: 'Billing <Core>' };
const job = { id: 'job-7', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T10:02:05Z' };
const base = { schemaVersion: 1, id: 'e1', occurredAt: '2026-11-24T10:02:05Z', application: app };

describe('MailRenderer', () => {
  const renderer = new MailRenderer();
  const render = (event: object) => renderer.render(event as JobEvent, { gatewayUri: 'http://console:8081/' });

  it('writes subjects useful in an inbox list', () => {
    expect(render({ ...base, type: JobEventType.JOB_SUCCEEDED, job }).subject).toBe('[Billing <Core>] Analysis succeeded');
    expect(render({ ...base, type: JobEventType.JOB_FAILED, job, error: { message: 'x', step: 'Run analyzer' } }).subject).toBe(
      '[Billing <Core>] Analysis failed: Run analyzer',
    );
    expect(render({ ...base, type: JobEventType.JOB_STOPPED, job, stoppedBy: { id: 'bob', name: 'Bob' } }).subject).toBe(
      '[Billing <Core>] Analysis stopped by Bob',
    );
    expect(render({ ...base, type: JobEventType.APPLICATION_CREATED }).subject).toBe('[Billing <Core>] Application created');
    expect(render({ ...base, type: JobEventType.VERSION_CREATED, version: { name: 'v2' } }).subject).toBe('[Billing <Core>] New version v2');
  });

  it('escapes what came with the event in HTML, not in text, and links to the job', () => {
    const mail = render({ ...base, type: JobEventType.JOB_FAILED, job, error: { message: '<script>alert(1)</script> & more', logExcerpt: 'a < b' } });
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Billing &lt;Core&gt;');
    expect(mail.text).toContain('Error: <script>alert(1)</script> & more');
    expect(mail.text).toContain('a < b');
    expect(mail.html).toContain('href="http://console:8081/applications/app%201/jobs/job-7"');
    expect(mail.text).toContain('http://console:8081/applications/app%201/jobs/job-7');
    expect(mail.text).toContain('Took:        1 hr, 2 min');
  });

  it("writes an admin's subject as one line of readable length, whatever the event's multi-line values hold", () => {
    // error.message is multi-line text: U+2028/U+2029 and bidirectional controls pass the wire format, and it may be 10,000 characters.
    const error = { message: `Disk\u2028full \u202egnp.exe\u202c\r\nat\tstep ${'x'.repeat(10_000)}` };
    const event = { ...base, type: JobEventType.JOB_FAILED, job, error } as JobEvent;
    const { subject } = renderer.renderDraft(event, { gatewayUri: null }, {}, { name: JobEventType.JOB_FAILED, subject: '[{{application.name}}] {{error.message}}' });
    expect(subject.startsWith('[Billing <Core>] Disk full gnp.exe at step xxx')).toBe(true);
    expect(subject).not.toMatch(/[\u0000-\u001f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(subject).toHaveLength(1000);
    expect(subject.endsWith('x…')).toBe(true);
  });

  it('writes with what its template source answers, and with the new version once the source changes', () => {
    const source = new OverrideTemplateSource();
    const own = new MailRenderer(source);
    const event = { ...base, type: JobEventType.JOB_SUCCEEDED, job } as JobEvent;
    const before = own.render(event, { gatewayUri: null });
    expect(before).toEqual(renderer.render(event, { gatewayUri: null })); // the files, as the default renderer reads them
    source.setTemplate(JobEventType.JOB_SUCCEEDED, 'text', '{{#> layout}}Done: {{t "heading"}} ({{application.name}}){{/layout}}');
    source.setMessages(JobEventType.JOB_SUCCEEDED, 'fr', { heading: 'Terminé !' });
    expect(own.version).toBe(3);
    expect(own.render(event, { gatewayUri: null }).text).toContain('Done: Analysis succeeded (Billing <Core>)');
    expect(own.render(event, { gatewayUri: null }, { locale: 'fr' }).text).toContain('Done: Terminé ! (Billing <Core>)');
    expect(own.render(event, { gatewayUri: null }).html).toBe(before.html); // what was not overridden stays
  });

  it('brands every mail the branding is set for: an event\'s, a digest, a cap summary (with the logo Herald keeps to attach)', () => {
    const branding: MailBranding = { productName: 'ACME', logo: { image: { contentType: 'image/png', data: Buffer.from('png') } }, accentColor: '#ff6600', footer: 'ACME Corp', helpLink: 'mailto:help@acme.example' };
    const branded = new MailRenderer(Object.assign(new FileTemplateSource(), { branding: () => branding }));
    const event = { ...base, type: JobEventType.APPLICATION_CREATED } as NotifiedEvent;
    const window = { start: new Date('2026-11-24T10:00:00Z'), end: new Date('2026-11-24T10:10:00Z'), cap: 20 };
    for (const mail of [branded.render(event, { gatewayUri: null }), branded.renderDigest([event], { gatewayUri: null }), branded.renderSummary([event], window, { gatewayUri: null })]) {
      expect(mail.html).toContain('<img src="cid:logo@herald" alt="ACME"');
      expect(mail.html).toContain('<a href="mailto:help@acme.example" style="color:#57606a">Get help</a>');
      expect(mail.html).toContain('>ACME Corp</p>');
      expect(mail.html).toContain('#ff6600');
      expect(mail.text).toMatch(/^ACME\n\n/);
      expect(mail.text).toMatch(/Get help: mailto:help@acme\.example\nACME Corp\n?$/);
      expect(mail.inlineLogo).toEqual({ contentType: 'image/png', data: Buffer.from('png') });
    }
    // Herald's own, byte for byte, while nothing is set (rendered-mails.spec keeps every mail so).
    expect(new MailRenderer(Object.assign(new FileTemplateSource(), { branding: () => ({ productName: null, logo: null, accentColor: null, footer: null, helpLink: null }) })).render(event, { gatewayUri: null })).toEqual(renderer.render(event, { gatewayUri: null }));
  });
});
