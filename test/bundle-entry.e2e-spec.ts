import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * dist/herald.cjs (tools/bundle-entry.cjs): runs the bundled server with V8's code cache.
 * Here it runs a small stand-in server in a folder of its own, as a child process (the
 * real bundle runs through it in multi-process.e2e-spec.ts and the benchmarks).
 */
const ENTRY = resolve(__dirname, '..', 'tools', 'bundle-entry.cjs');

// What the bundle does that the entry must keep working: require, __dirname, promises, exit codes.
const SERVER = `'use strict';
function greet() { return 'hello from ' + require('node:path').basename(__dirname); }
Promise.resolve().then(() => require('node:os')).then((os) => {
  console.log(greet(), typeof os.tmpdir, VERSION);
  if (process.env.FAIL) { console.error(new Error('boom').stack); process.exit(3); }
});
`;

let folder: string;
const cache = () => join(folder, 'herald-server.cjs.v8-cache');
const writeServer = (version: string) => writeFileSync(join(folder, 'herald-server.cjs'), `const VERSION = ${JSON.stringify(version)};\n${SERVER}`);
const run = (env: Record<string, string> = {}, flags: string[] = []) => spawnSync(process.execPath, [...flags, join(folder, 'herald.cjs')], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

beforeEach(() => {
  folder = join(mkdtempSync(join(tmpdir(), 'herald-entry-')), 'dist');
  mkdirSync(folder);
  copyFileSync(ENTRY, join(folder, 'herald.cjs'));
  writeServer('v1');
});
afterEach(() => rmSync(resolve(folder, '..'), { recursive: true, force: true }));

describe('the bundle entry (dist/herald.cjs)', () => {
  it('runs the server, writes its code cache when it exits cleanly, and uses it the next time', () => {
    const first = run();
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('hello from dist function v1\n');
    expect(first.status).toBe(0);
    expect(existsSync(cache())).toBe(true);
    const written = statSync(cache()).mtimeMs;

    // Accepted: not written again (a rejected cache would be replaced).
    const later = new Date(Math.ceil(written / 1000) * 1000 + 1000);
    utimesSync(cache(), later, later);
    const second = run();
    expect(second.stdout).toBe('hello from dist function v1\n');
    expect(second.status).toBe(0);
    expect(statSync(cache()).mtime).toEqual(later);
  });

  it('ignores a cache older than the server, and replaces it', () => {
    run();
    const old = statSync(cache()).mtimeMs;
    writeServer('v2');
    utimesSync(join(folder, 'herald-server.cjs'), new Date(old + 5000), new Date(old + 5000));
    const after = run();
    expect(after.stdout).toBe('hello from dist function v2\n');
    expect(statSync(cache()).mtimeMs).toBeGreaterThan(old);
  });

  it('writes no cache when the server fails, and runs without one where none can be written', () => {
    const failed = run({ FAIL: '1' });
    expect(failed.status).toBe(3);
    expect(existsSync(cache())).toBe(false);

    mkdirSync(cache()); // in the way: neither readable as a cache nor replaceable by one
    const blocked = run();
    expect(blocked.status).toBe(0);
    expect(blocked.stdout).toBe('hello from dist function v1\n');
    expect(readdirSync(folder).sort()).toEqual(['herald-server.cjs', 'herald-server.cjs.v8-cache', 'herald.cjs']); // no partial file left
  });

  it('runs a server of many chunks, ASCII or not (a character of several bytes across two chunks)', () => {
    const padding = `// ${'x'.repeat(64 * 1024 - 4)}\n`; // the entry reads 64 KB at a time
    writeFileSync(join(folder, 'herald-server.cjs'), `${padding}console.log('ascii', ${JSON.stringify('y'.repeat(70 * 1024))}.length);\n`);
    expect(run().stdout).toBe(`ascii ${70 * 1024}\n`);
    const before = `// ${'x'.repeat(64 * 1024 - "console.log('".length - 5)}\n`; // é's two bytes: the last of a chunk and the first of the next
    writeFileSync(join(folder, 'herald-server.cjs'), `${before}console.log('é → 🎉');\n`);
    expect(run().stdout).toBe('é → 🎉\n');
  });

  it('under --enable-source-maps, loads the server as Node does, so that stack traces name the sources', () => {
    writeFileSync(
      join(folder, 'herald-server.cjs'),
      `function boom() { throw new Error('mapped?'); }\ntry { boom(); } catch (e) { console.log(e.stack.split('\\n')[1].trim()); }\n//# sourceMappingURL=herald-server.cjs.map\n`,
    );
    writeFileSync(join(folder, 'herald-server.cjs.map'), JSON.stringify({ version: 3, sources: ['../src/original.ts'], names: [], mappings: 'AAAA;AACA', file: 'herald-server.cjs' }));
    const mapped = run({}, ['--enable-source-maps']);
    expect(mapped.stdout).toMatch(/src\/original\.ts:1/);
  });
});
