import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { HeraldTestApp } from './support/herald-test-app';
import { describeIf } from './support/skipped-suites';

/**
 * GraphiQL in a real browser, as an admin on a console without internet uses it:
 * Debian's Chromium, headless, driven by Playwright. The page must load from
 * Herald alone (a CDN would leave it on "Loading..." offline), take a pasted
 * token in its headers editor, and show the answer of `me`.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

describeIf(HAVE_CHROMIUM, `${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`)('GraphiQL in Chromium', () => {
  let app: HeraldTestApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await HeraldTestApp.start({ GRAPHQL_IDE: 'true' });
    // Background networking off: Chromium's own calls home would blur what the page asks for.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('runs `me` with a pasted token, every request going to Herald', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));

    await page.goto(`${app.url}/graphql`);
    // The headers editor is open, with the placeholder to paste over.
    const headers = page.locator('.graphiql-editor-tool .CodeMirror').last();
    await headers.waitFor({ state: 'visible' });
    await page.locator('.graphiql-editor-tool').filter({ hasText: 'Bearer <paste a token' }).waitFor();

    // Without a token Herald tells nothing of its schema: the Docs pane has none.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer-error').filter({ hasText: 'Error fetching schema' }).waitFor();

    // Paste a token over the placeholder, and a query over the sample one.
    const token = app.token(Role.USER, 'alice', { name: 'Alice', email: 'alice@example.com' });
    await headers.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
    // With it, the page asks for the schema again: the Docs pane shows the root types.
    await page.locator('.graphiql-doc-explorer-root-type').filter({ hasText: 'query' }).waitFor();
    await page.locator('.graphiql-doc-explorer-type-name').filter({ hasText: /^Mutation$/ }).waitFor();
    await page.locator('.graphiql-query-editor .CodeMirror').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('query Me { me { id displayName email } }');
    await page.locator('.graphiql-execute-button').click();

    const result = page.locator('.result-window');
    await result.getByText('"alice@example.com"').waitFor();
    // The pane shows the JSON answer (with fold markers between its lines).
    const shown = (await result.innerText()).replace(/[^\x20-\x7e]/g, '');
    expect(JSON.parse(shown)).toEqual({ data: { me: { id: 'alice', displayName: 'Alice', email: 'alice@example.com' } } });

    const origin = new URL(app.url).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(requested).toContain(`${origin}/graphiql/graphiql.min.js`);
  });
});

describe('GraphiQL with GRAPHQL_IDE=false', () => {
  let app: HeraldTestApp;
  beforeAll(async () => (app = await HeraldTestApp.start({ GRAPHQL_IDE: 'false' })));
  afterAll(() => app.close());

  it('serves neither the page nor its assets', async () => {
    const page = await request(app.url).get('/graphql').set('accept', 'text/html');
    expect(page.text).not.toContain('GraphiQL');
    await request(app.url).get('/graphiql/graphiql.min.js').expect(404);
  });
});

describe('GraphiQL under a path of a shared host', () => {
  let app: HeraldTestApp;
  beforeAll(async () => (app = await HeraldTestApp.start({ GRAPHQL_IDE: 'true' })));
  afterAll(() => app.close());

  it('loads its assets and sends its queries under the path Herald is published at', async () => {
    // A proxy publishing Herald at https://tools.example.com/herald forwards /herald/… as /….
    const PUBLIC_URL = 'https://tools.example.com/herald';
    const html = (await request(app.url).get('/graphql').set('accept', 'text/html')).text;
    const addresses = [...html.matchAll(/ (?:href|src)="([^"]+)"/g), ...html.matchAll(/const url = ("[^"]*");/g)].map(([, value]) =>
      new URL(value.startsWith('"') ? (JSON.parse(value) as string) : value, `${PUBLIC_URL}/graphql`).href,
    );
    expect(addresses).toHaveLength(5);
    for (const address of addresses) expect(address).toMatch(/^https:\/\/tools\.example\.com\/herald\/(graphql$|graphiql\/)/);
    for (const address of addresses.filter((a) => a.includes('/graphiql/'))) await request(address.replace(PUBLIC_URL, app.url)).get('').expect(200);
  });
});
