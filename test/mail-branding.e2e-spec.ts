import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { simpleParser } from 'mailparser';
import { chromium } from 'playwright-core';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf } from './support/skipped-suites';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const BRANDING = 'productName logoUrl logoImage { contentType size sha256 } accentColor footer helpLink updatedBy updatedByName';
const GET = `{ mailBranding { ${BRANDING} } }`;
const UPDATE = `mutation($input: UpdateMailBrandingInput!) { updateMailBranding(input: $input) { ${BRANDING} } }`;
const UPDATE_TEMPLATE = 'mutation($input: UpdateMailTemplateInput!) { updateMailTemplate(input: $input) { version } }';
const PREVIEW = 'query($input: PreviewMailTemplateInput!) { previewMailTemplate(input: $input) { subject html frameHtml } }';
const AUDIT = '{ auditLog(filter: { kind: MAIL_BRANDING }, first: 5) { edges { node { target actorId fields { field before after } } } } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';

const CHROMIUM = '/usr/bin/chromium';
/** Where the suites leave what a person would look at (screenshots). */
const ARTEFACTS = process.env.HERALD_TEST_ARTEFACTS ?? join(__dirname, '..', 'test-artefacts');

/** A PNG of `width` × `height` pixels of one colour: a logo as an admin would upload it. */
function png(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}
const LOGO = png(96, 32, [255, 102, 0]);

let seq = 0;
const event = (type: 'JOB_FAILED' | 'JOB_SUCCEEDED' = 'JOB_FAILED') => ({
  schemaVersion: 1,
  id: `brand-${process.pid}-${++seq}`,
  type,
  occurredAt: '2026-11-24T09:42:30Z',
  application: { id: `app-brand-${seq}`, name: 'Billing' },
  job: { id: 'job-42', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
  ...(type === 'JOB_FAILED' && { error: { message: 'Out of memory', step: 'Run analyzer' } }),
});

describe(`mail branding (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const admin = () => app.token(Role.ADMIN, 'ann', { name: 'Ann Admin' });
  const as = async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await app.gql<T>(query, variables, admin());
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!;
  };
  const refusal = async (input: Record<string, unknown>) => (await app.gql(UPDATE, { input }, admin())).errors?.[0].extensions;

  /** Publishes an event in an application of its own (john reads English) and answers john's mail. */
  const mailOf = async (e: ReturnType<typeof event> = event()): Promise<ReceivedMail> => {
    await seedApplication(app, e.application, [{ id: 'john' }]);
    expect((await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
    return eventually(async () => {
      const mail = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === e.id);
      expect(mail).toBeDefined();
      return mail!;
    });
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start();
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com' } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it("is Herald's until set; ADMIN only", async () => {
    expect((await as(GET)).mailBranding).toEqual({ productName: null, logoUrl: null, logoImage: null, accentColor: null, footer: null, helpLink: null, updatedBy: null, updatedByName: null });
    expect((await app.gql(GET, {}, app.token(Role.USER, 'john'))).errors?.[0].extensions.code).toBe('FORBIDDEN');
    const mail = await mailOf();
    expect(mail.parsed.html).not.toMatch(/<img/);
    expect(mail.parsed.attachments).toEqual([]);
  });

  it('rebrands every mail with a logo URL, an accent colour, a footer and a help link; the audit log says who', async () => {
    const input = { productName: 'ACME Console', logoUrl: 'https://acme.example/logo.png', accentColor: '#ff6600', footer: 'ACME Corp, 1 Main Street', helpLink: 'https://help.acme.example/herald' };
    expect((await as(UPDATE, { input })).updateMailBranding).toEqual({ ...input, logoImage: null, updatedBy: 'ann', updatedByName: 'Ann Admin' });

    for (const type of ['JOB_FAILED', 'JOB_SUCCEEDED'] as const) {
      const mail = await mailOf(event(type));
      const html = mail.parsed.html as string;
      expect(html).toContain('<img src="https://acme.example/logo.png" alt="ACME Console" height="32"');
      expect(html).toMatch(/<a href="https:\/\/console\.example\.com\/applications\/[^"]+" style="display:inline-block;background:#ff6600;/);
      expect(html).toContain('<a href="https://help.acme.example/herald" style="color:#57606a">Get help</a>');
      expect(html).toContain('>ACME Corp, 1 Main Street</p>');
      expect(mail.parsed.text).toMatch(/^ACME Console\n\n/);
      expect(mail.parsed.text).toContain('Get help: https://help.acme.example/herald\nACME Corp, 1 Main Street');
      expect(mail.parsed.attachments).toEqual([]); // the reader's client loads the URL
    }
    const entry = (await as(AUDIT)).auditLog.edges[0].node;
    expect(entry).toMatchObject({ target: 'mailBranding', actorId: 'ann' });
    expect(entry.fields).toContainEqual({ field: 'accentColor', before: null, after: '#ff6600' });
  });

  it('is given to every template as branding.*', async () => {
    await as(UPDATE_TEMPLATE, { input: { type: 'JOB_FAILED', language: 'en', subject: '[{{branding.productName}}] {{summary}}' } });
    expect((await mailOf()).parsed.subject).toBe('[ACME Console] Analysis failed: Run analyzer');
  });

  it('sends a logo Herald keeps inline, by its Content-ID: nothing is fetched when the mail is read', async () => {
    const { updateMailBranding } = await as(UPDATE, { input: { logoImage: LOGO.toString('base64') } });
    expect(updateMailBranding).toMatchObject({ logoUrl: null, logoImage: { contentType: 'image/png', size: LOGO.length } });
    const mail = await mailOf();
    const html = (await simpleParser(mail.raw, { keepCidLinks: true })).html as string; // as a mail client reads it, before it resolves cid:
    expect(html).toContain('<img src="cid:logo@herald" alt="ACME Console"');
    expect(html).not.toMatch(/src="https?:/);
    expect(mail.raw).toMatch(/^Content-Type: multipart\/related; type="multipart\/alternative";/m);
    expect(mail.parsed.attachments).toHaveLength(1);
    const [logo] = mail.parsed.attachments;
    expect({ cid: logo.cid, contentType: logo.contentType, disposition: logo.contentDisposition, same: logo.content.equals(LOGO) }).toEqual({ cid: 'logo@herald', contentType: 'image/png', disposition: 'inline', same: true });
    // The preferences link still carries the reader's own token through the related part.
    expect(mail.parsed.text).toContain('https://console.example.com/profile/notifications');
    const entry = (await as(AUDIT)).auditLog.edges[0].node;
    expect(entry.fields).toEqual([
      { field: 'logoUrl', before: 'https://acme.example/logo.png', after: null },
      { field: 'logoImage', before: null, after: expect.stringMatching(/^image\/png, \d+ bytes, sha256 [0-9a-f]{64}$/) },
    ]);
  });

  it('refuses what is not a logo, a colour or a link, naming the field; nothing changes', async () => {
    const before = (await as(GET)).mailBranding;
    expect(await refusal({ logoImage: Buffer.from('<svg onload="alert(1)"/>').toString('base64') })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'logoImage', message: 'must be a PNG, JPEG or GIF image' }] });
    expect(await refusal({ logoImage: png(200, 200, [1, 2, 3]).toString('base64').repeat(1) + 'A'.repeat(100_000) })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'logoImage' }] });
    expect(await refusal({ logoUrl: 'http://acme.example/logo.png' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'logoUrl', message: 'must be an https URL' }] });
    expect(await refusal({ logoUrl: 'https://acme.example/l.png', logoImage: LOGO.toString('base64') })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'logoImage' }] });
    expect(await refusal({ accentColor: 'red' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'accentColor', message: 'must be a colour written #rrggbb' }] });
    expect(await refusal({ helpLink: 'javascript:alert(1)' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'helpLink', message: 'must be an https URL or a mailto: address' }] });
    expect(await refusal({ footer: 'a\nb' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'footer' }] });
    expect((await as(GET)).mailBranding).toEqual(before);
  });

  describeIf(existsSync(CHROMIUM), `${CHROMIUM} (apt-get install -y chromium)`)('the preview in a browser', () => {
    it('shows the new heading and the logo kept by Herald, loading nothing from outside', async () => {
      // A draft with a heading of its own, and an image from the internet that the frame must not load.
      const draft = { html: '{{#> layout}}<h2 id="new-heading">Our new heading</h2><img src="https://tracker.example/pixel.gif" alt="">{{/layout}}' };
      const { previewMailTemplate } = await as(PREVIEW, { input: { type: 'JOB_FAILED', language: 'en', timeZone: 'UTC', draft } });
      expect(previewMailTemplate.html).toContain('src="cid:logo@herald"'); // as sent
      expect(previewMailTemplate.frameHtml).toContain(`src="data:image/png;base64,${LOGO.toString('base64')}"`);

      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-background-networking'] });
      try {
        const context = await browser.newContext({ offline: true, viewport: { width: 700, height: 900 } });
        // Whatever would go to the network is caught here (and refused): nothing may get this far.
        const left: string[] = [];
        await context.route('**/*', (route) => (left.push(route.request().url()), route.abort()));
        const page = await context.newPage();
        const blocked: string[] = [];
        page.on('requestfailed', (r) => r.failure()?.errorText === 'csp' && blocked.push(r.url()));
        await page.setContent(previewMailTemplate.frameHtml, { waitUntil: 'load' });
        await page.locator('#new-heading').waitFor({ state: 'visible' });
        expect(await page.locator('#new-heading').textContent()).toBe('Our new heading');
        const logo = page.locator('img[alt="ACME Console"]');
        expect(await logo.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number }; return [i.complete, i.naturalWidth, i.naturalHeight]; })).toEqual([true, 96, 32]);
        mkdirSync(ARTEFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTEFACTS, `mail-preview-${DATABASE_KIND}.png`), fullPage: true });
        // No request left the page: the tracker was stopped by the frame's policy before the network.
        expect(left).toEqual([]);
        expect(blocked).toEqual(['https://tracker.example/pixel.gif']);
      } finally {
        await browser.close();
      }
    });
  });

  it("goes back to Herald's when cleared", async () => {
    await as(UPDATE, { input: { productName: null, logoImage: null, accentColor: null, footer: null, helpLink: null } });
    expect((await as(GET)).mailBranding).toMatchObject({ productName: null, logoUrl: null, logoImage: null, accentColor: null, footer: null, helpLink: null });
    const mail = await mailOf(event('JOB_SUCCEEDED'));
    expect(mail.parsed.html).not.toMatch(/<img|ACME|Get help/);
    expect(mail.parsed.attachments).toEqual([]);
  });
});
