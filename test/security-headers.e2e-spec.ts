import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, type HeraldTestApp } from './support/herald-test-app';
import { failureMailTo, linksOf, PUBLIC_URL, startForLinks } from './support/preference-links';
import { SmtpSink } from './support/smtp-sink';

/**
 * What the pages people reach from a mail (preferences page, one-click unsubscribe)
 * tell the browser: a Content-Security-Policy that allows no script and only the
 * page's own inline style, no MIME sniffing, no referrer — and no X-Powered-By on
 * any answer of Herald's.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/security-headers.e2e-spec.ts: the browser check is skipped, no ${CHROMIUM} here (apt-get install -y chromium)`);

let seq = 0;

/** The hashes CSP takes for each <style> element of a page. */
const styleHashes = (html: string) => [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);

/** The headers every answer of the preferences pages carries, and its CSP allowing its own style and nothing else. */
function expectPageHeaders(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-powered-by']).toBeUndefined();
  const csp = res.headers['content-security-policy'] as string;
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  expect(Object.keys(directives).sort()).toEqual(['base-uri', 'default-src', 'form-action', 'frame-ancestors', 'style-src']);
  expect(directives['default-src']).toEqual(["'none'"]);
  expect(directives['form-action']).toEqual(["'self'"]);
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(directives['base-uri']).toEqual(["'none'"]);
  // Only hashes: no 'unsafe-inline', and the page's own style is among them.
  expect(directives['style-src'].every((v: string) => /^'sha256-[A-Za-z0-9+/]{43}='$/.test(v))).toBe(true);
  const hashes = styleHashes(res.text);
  expect(hashes.length).toBeGreaterThan(0);
  for (const hash of hashes) expect(directives['style-src']).toContain(hash);
}

describe(`security headers (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const local = (url: string) => url.replace(PUBLIC_URL, app.url);
  /** The preferences link and one-click address of a new mail to this person. */
  const newLinks = async (person: string) => {
    const links = linksOf(await failureMailTo(app, sink, `headers-${process.pid}-${++seq}`, `${person}@example.com`));
    return { ...links, page: local(links.page), oneClick: local(links.oneClick) };
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await startForLinks(sink, { GRAPHQL_IDE: 'true' });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('on the preferences page (GET, and the POST of its forms), the one-click unsubscribe, and a refused link', async () => {
    const links = await newLinks('ann');
    const page = await request(links.page).get('');
    expect(page.status).toBe(200);
    expectPageHeaders(page);
    const saveForm = /name="form" value="([A-Za-z0-9_-]{22})">\s*<input type="hidden" name="action" value="save">/.exec(page.text)![1];
    const saved = await request(app.url).post('/preferences').type('form').send({ t: links.token, form: saveForm, action: 'save', notificationsEnabled: 'on' });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('Saved.');
    expectPageHeaders(saved);

    const fromHeader = await request(links.oneClick).get('');
    expect(fromHeader.status).toBe(200);
    expectPageHeaders(fromHeader);
    const unsubscribed = await request(links.oneClick).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(unsubscribed.status).toBe(200);
    expect(unsubscribed.text).toContain('You will no longer receive');
    expectPageHeaders(unsubscribed);

    const refused = await request(app.url).get('/preferences').query({ t: 'x'.repeat(38) });
    expect(refused.status).toBe(400);
    expectPageHeaders(refused);
    const replayed = await request(links.oneClick).post('').type('form').send('List-Unsubscribe=One-Click');
    expect(replayed.status).toBe(409);
    expectPageHeaders(replayed);
  });

  it('no X-Powered-By on any answer: GraphQL, GraphiQL, health, an unknown page', async () => {
    const answers = [
      await request(app.url).post('/graphql').set('content-type', 'application/json').send({ query: '{ __typename }' }),
      await request(app.url).get('/graphql').set('accept', 'text/html'),
      await request(app.url).get('/graphiql/graphiql.min.css'),
      await request(app.url).get('/health'),
      await request(app.url).get('/health/live'),
      await request(app.url).get('/no-such-page'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 404]);
    for (const res of answers) expect(res.headers['x-powered-by']).toBeUndefined();
  });

  (HAVE_CHROMIUM ? it : it.skip)('in Chromium, the page renders with its style and its form submits, with no CSP violation', async () => {
    const links = await newLinks('bob');
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const console: string[] = [];
      page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
      // Violations are reported to the page as events too: record them where the test can read them.
      // (Browser code as strings: the tests are compiled without the DOM's types.)
      await page.addInitScript(`window.violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));`);
      const violations = () => page.evaluate<string[]>('window.violations');
      const bodyBackground = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');

      const response = await page.goto(links.page);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
      await page.getByRole('heading', { level: 1, name: 'Your Herald notifications' }).waitFor();
      // The inline style applies (a policy refusing it would leave the browser's defaults).
      expect(await bodyBackground()).toBe('rgb(245, 246, 248)');
      expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('main')).maxWidth`)).toBe('640px');

      await page.getByLabel('Job succeeded', { exact: true }).selectOption('off');
      await page.getByRole('button', { name: 'Save my preferences' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect(await page.getByLabel('Job succeeded', { exact: true }).inputValue()).toBe('off');
      expect(await bodyBackground()).toBe('rgb(245, 246, 248)');

      expect(await violations()).toEqual([]);
      expect(console.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
      expect(console.filter((line) => line.startsWith('error') || line.startsWith('pageerror'))).toEqual([]);
    } finally {
      await browser.close();
    }
    const me = await app.gql('{ me { preferences { eventType enabled } } }', {}, app.token(Role.USER, 'bob'));
    expect(me.data.me.preferences.find((p: { eventType: string }) => p.eventType === 'JOB_SUCCEEDED').enabled).toBe(false);
  });
});
