import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

/**
 * A front end on another origin (the console's pages) calling Herald from a browser:
 * allowed for the origins CORS_ORIGINS lists, and for no other. The pages are served
 * by tiny HTTP servers on other loopback ports (another port is another origin), and
 * Chromium runs their fetch of /graphql with a bearer token.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/cors.e2e-spec.ts: the browser check is skipped, no ${CHROMIUM} here (apt-get install -y chromium)`);

/** A page whose script asks Herald for `me` with the token, and leaves the outcome in `window.outcome`. */
async function pageServer(herald: () => string, token: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    const literal = (v: string) => JSON.stringify(v).replace(/</g, '\\u003c');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!DOCTYPE html><html><head><title>console</title></head><body><script>
      fetch(${literal(herald())} + '/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + ${literal(token())} },
        body: JSON.stringify({ query: '{ me { id } }' }),
      }).then((r) => r.json()).then((body) => (window.outcome = JSON.stringify(body)), (error) => (window.outcome = 'failed: ' + error.message));
    </script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe(`CORS (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let listed: { server: Server; origin: string };
  let unlisted: { server: Server; origin: string };
  const token = () => app.token(Role.USER, 'console-user');

  beforeAll(async () => {
    listed = await pageServer(() => app.url, token);
    unlisted = await pageServer(() => app.url, token);
    app = await HeraldTestApp.start({ CORS_ORIGINS: `https://console.example.com, ${listed.origin}` });
  });
  afterAll(async () => {
    await app?.close();
    for (const page of [listed, unlisted]) await new Promise((resolve) => page?.server.close(resolve));
  });

  it('answers the preflight of a listed origin only, allowing Authorization and Content-Type, never *', async () => {
    const preflight = (origin: string) =>
      request(app.url).options('/graphql').set('origin', origin).set('access-control-request-method', 'POST').set('access-control-request-headers', 'authorization,content-type');
    const allowed = await preflight(listed.origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(listed.origin);
    expect(allowed.headers['access-control-allow-headers']).toBe('Authorization,Content-Type');
    expect(allowed.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    expect(allowed.headers['vary']).toMatch(/Origin/);

    for (const origin of [unlisted.origin, 'https://console.example.com.evil.example', 'null']) {
      const refused = await preflight(origin);
      expect(refused.status).toBe(403);
      expect(refused.body.message).toBe('This origin may not call Herald from a browser: it is not in CORS_ORIGINS');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      expect(refused.headers['access-control-allow-headers']).toBeUndefined();
    }
    // The actual request: the listed origin may read the answer, another may not.
    const post = (origin: string) => request(app.url).post('/graphql').set('origin', origin).set('authorization', `Bearer ${token()}`).send({ query: '{ me { id } }' });
    expect((await post('https://console.example.com')).headers['access-control-allow-origin']).toBe('https://console.example.com');
    expect((await post(unlisted.origin)).headers['access-control-allow-origin']).toBeUndefined();
  });

  (HAVE_CHROMIUM ? it : it.skip)("in Chromium: a listed origin's page calls /graphql with a bearer token; another origin's page gets a CORS error", async () => {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-background-networking'] });
    try {
      const outcomeOf = async (origin: string) => {
        const page = await browser.newPage();
        const console: string[] = [];
        page.on('console', (m) => console.push(m.text()));
        await page.goto(origin);
        await page.waitForFunction('window.outcome !== undefined');
        const outcome = await page.evaluate<string>('window.outcome');
        await page.close();
        return { outcome, console };
      };
      const ok = await outcomeOf(listed.origin);
      expect(JSON.parse(ok.outcome)).toEqual({ data: { me: { id: 'console-user' } } });
      expect(ok.console.filter((line) => /CORS/.test(line))).toEqual([]);

      const blocked = await outcomeOf(unlisted.origin);
      expect(blocked.outcome).toBe('failed: Failed to fetch');
      expect(blocked.console.join('\n')).toContain(`from origin '${unlisted.origin}' has been blocked by CORS policy`);
    } finally {
      await browser.close();
    }
  });
});

describe(`CORS without CORS_ORIGINS (${DATABASE_KIND})`, () => {
  it('allows no other origin: no Access-Control-Allow-Origin, preflight or not', async () => {
    const app = await HeraldTestApp.start();
    try {
      const preflight = await request(app.url).options('/graphql').set('origin', 'https://console.example.com').set('access-control-request-method', 'POST');
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const post = await request(app.url).post('/graphql').set('origin', 'https://console.example.com').send({ query: '{ __typename }' });
      expect(post.status).toBe(200);
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
