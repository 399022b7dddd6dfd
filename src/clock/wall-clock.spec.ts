import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Herald reads the time through the injectable Clock (src/clock), so that a test
 * with a ManualClock decides what "now" is everywhere: a Date header, a link's
 * expiry, a window's end. This fails on any read of the wall clock in src/ outside
 * src/clock: `Date.now` (called or passed on), `new Date()` without an argument,
 * `Date()`. Found with the TypeScript parser, so comments and strings do not count.
 * Durations are not times of day: `performance.now()` (monotonic) is allowed for them.
 */
const ROOT = join(__dirname, '..', '..');

/** Files that may read the wall clock, and why (the reason shows in no output: it is for the reader). */
const ALLOWED: Record<string, string> = {};

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.spec.ts'))
    .map((f) => join(folder, f).split('\\').join('/'));
}

/** Each read of the wall clock in this source, as `line: code`. */
function wallClockReads(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const isDate = (e: ts.Expression) => ts.isIdentifier(e) && e.text === 'Date';
  const visit = (node: ts.Node): void => {
    const read =
      (ts.isPropertyAccessExpression(node) && isDate(node.expression) && node.name.text === 'now') ||
      (ts.isNewExpression(node) && isDate(node.expression) && !node.arguments?.length) ||
      (ts.isCallExpression(node) && isDate(node.expression));
    if (read) found.push(`${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('the time is read through the Clock', () => {
  const files = sources('src').filter((f) => !f.startsWith('src/clock/'));

  it('finds each way of reading the wall clock, and nothing else', () => {
    const code = [
      'const a = Date.now();',
      'const b = new Date();',
      'const c = new Date;',
      'const d = Date();',
      'const e = { now: Date.now };',
      'const f = new Date(0); const g = new Date(a); const h = Date.parse("x"); const i = Date.UTC(2026, 0);',
      '// Date.now() in a comment',
      "const j = 'new Date()';",
      'const k = clock.now(); const l = clock.date(); const m = performance.now();',
    ].join('\n');
    expect(wallClockReads('x.ts', code)).toEqual(['1: Date.now', '2: new Date()', '3: new Date', '4: Date()', '5: Date.now']);
  });

  it('guards the code that used to read it', () => {
    expect(files).toEqual(expect.arrayContaining(['src/smtp/mime-message.ts', 'src/database/database-health.ts', 'src/notifications/preferences-page/preferences-page.service.ts']));
  });

  it('no production file outside src/clock reads the wall clock (but those allowed, for the reason given)', () => {
    const offenders = files.filter((f) => !(f in ALLOWED)).flatMap((f) => wallClockReads(f, readFileSync(join(ROOT, f), 'utf8')).map((read) => `${f}:${read}`));
    expect(offenders).toEqual([]);
  });
});
