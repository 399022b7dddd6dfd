import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './support/built-app';

/**
 * What tools/bundle.mjs leaves out of dist/herald-server.cjs as code Herald never runs
 * (TypeORM's other drivers, Apollo's usage-reporting protobuf, iconv-lite's double-byte
 * tables), and the real server's paths next to them that must still work.
 */
const JWT_SECRET = 'left-out-test-secret-that-is-long-enough-for-hs256';

let dataDir: string;
let child: ChildProcess;
let graphql: string;

beforeAll(async () => {
  ensureBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'herald-left-out-'));
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  graphql = `http://127.0.0.1:${port}/graphql`;
  // With Apollo Studio's variables set, which would turn its usage reporting on.
  child = spawn(process.execPath, [join(ROOT, 'dist', 'herald.cjs')], {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET, APOLLO_KEY: 'service:herald:not-a-key', APOLLO_GRAPH_REF: 'herald@test' },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Herald did not get ready: ${output}`)), 60_000);
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('GraphQL ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('close', (code) => reject(new Error(`Herald exited with ${code}: ${output}`)));
  });
}, 300_000);
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (contentType: string, body: Buffer | string) => fetch(graphql, { method: 'POST', headers: { 'content-type': contentType, 'apollo-require-preflight': '1' }, body });

describe('what the bundle leaves out', () => {
  it('holds stubs instead of the modules (the source map lists what went in)', () => {
    const sources: string[] = JSON.parse(readFileSync(join(ROOT, 'dist', 'herald-server.cjs.map'), 'utf8')).sources;
    // (TypeORM's files are named by its own source maps: ../src/driver/….)
    const leftOut = ['/src/driver/mysql/', '/src/driver/mongodb/', 'node_modules/@apollo/usage-reporting-protobuf/', 'node_modules/@apollo/protobufjs/', 'node_modules/iconv-lite/encodings/tables/'];
    expect(leftOut.filter((part) => sources.some((s) => s.includes(part)))).toEqual([]);
    expect(sources).toEqual(expect.arrayContaining(['left-out:typeorm/driver/mysql/MysqlDriver', 'left-out:@apollo/usage-reporting-protobuf']));
    // What Herald runs on stays.
    for (const part of ['/src/driver/better-sqlite3/BetterSqlite3Driver', '/src/driver/postgres/PostgresDriver', 'node_modules/iconv-lite/lib/index.js']) expect(sources.some((s) => s.includes(part))).toBe(true);
  });

  it('answers GraphQL with APOLLO_KEY set (usage reporting and inline traces disabled: their protobuf is never required)', async () => {
    const response = await post('application/json', JSON.stringify({ query: '{ __typename }' }));
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('decodes a UTF-16 JSON body (iconv-lite kept) and refuses a charset that would need a left-out table', async () => {
    const utf16 = await post('application/json; charset=utf-16le', Buffer.from(JSON.stringify({ query: '{ __typename }' }), 'utf16le'));
    expect(await utf16.json()).toEqual({ data: { __typename: 'Query' } });
    const shiftJis = await post('application/x-www-form-urlencoded; charset=shift_jis', 'query=%7B__typename%7D');
    expect(shiftJis.status).toBe(415);
  });
});
