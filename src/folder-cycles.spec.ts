import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Data flows one way: no folder of src/ or libs/ may reach itself through another
 * folder's imports (A imports B and B, directly or through others, imports A).
 *
 * The import graph is read with the TypeScript compiler API (already installed; a
 * dedicated tool such as dependency-cruiser would add a few dozen packages for what
 * is a hundred lines here): each file's imports as the compiler sees them
 * (`ts.preProcessFile`), resolved as the compiler resolves them (tsconfig.json, so
 * the @herald/* aliases too), type-only imports included. Each file stands for its
 * folder. A folder and the folders inside it are one unit: the parent's module
 * wiring its parts and the parts using the parent's shared types (users/profile
 * importing users/user.model.ts) is how a Nest feature is laid out, not a
 * cycle. So an import between a folder and its own ancestor is not an edge; between
 * any other two folders it is, and a cycle is a strongly connected set of two or
 * more folders. Unit tests (`*.spec.ts`) are left out of the cycles: nothing
 * imports them, so they shape no dependency of the code.
 */
const ROOT = join(__dirname, '..');

/**
 * Cycles known and being removed on another branch. Each entry is one strongly
 * connected set of folders, sorted; the test fails when it is gone too, so that
 * its entry goes with it.
 */
const ALLOWED: string[][] = [];

/**
 * Imports that would make no cycle between folders today but go against the flow:
 * [from, to] — no folder under `from` imports one under `to`.
 * - Observability watches the pipeline and the pipeline counts into it (src/metrics);
 *   what it reads of notifications' outbox comes through the QUEUE_STATS port
 *   (src/channels), which notifications provides, never by importing notifications.
 * - The dispatcher knows channels only through their port: nothing of SMTP or email.
 * - Notifications is what channels plug into: it imports no channel.
 */
const FORBIDDEN: Array<[string, string]> = [
  ['src/observability', 'src/notifications'],
  ['src/notifications/dispatch', 'src/smtp'],
  ['src/notifications/dispatch', 'src/email'],
  ['src/notifications', 'src/email'],
];

/**
 * Folders both sides of a port import, or that every layer counts into: they
 * import no other folder of src/ (nor libs/), so that importing them can make no cycle.
 */
const LEAVES = ['src/channels', 'src/metrics', 'src/clock'];

function sourceFiles(folder: string, withTests = false): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && (withTests || !f.endsWith('.spec.ts')))
    .map((f) => join(ROOT, folder, f));
}

function compilerOptions(): ts.CompilerOptions {
  const file = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file).options;
}

/** The same folder, or one inside the other. */
const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** folder → the folders its files import (edges between distinct folders), with one example each. */
function folderGraph(): Map<string, Map<string, string>> {
  const options = compilerOptions();
  const graph = new Map<string, Map<string, string>>();
  const folderOf = (file: string) => relative(ROOT, dirname(file)).split('\\').join('/');
  for (const file of [...sourceFiles('src'), ...sourceFiles('libs')]) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport) continue;
      const target = relative(ROOT, resolved.resolvedFileName);
      if (target.startsWith('..') || !/^(src|libs)[/\\]/.test(target)) continue;
      const to = folderOf(resolved.resolvedFileName);
      if (!related(from, to) && !edges.has(to)) edges.set(to, `${relative(ROOT, file)} imports ${specifier}`);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one folder, each sorted. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do component.push((w = stack.pop()!));
      while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The imports that tie one cycle's folders together, for the failure message. */
function explain(graph: Map<string, Map<string, string>>, component: string[]): string {
  const lines = component.flatMap((from) =>
    [...(graph.get(from) ?? [])].filter(([to]) => component.includes(to)).map(([to, example]) => `  ${from} → ${to}: ${example}`),
  );
  return `${component.join(' ⇄ ')}\n${lines.join('\n')}`;
}

/** Imports that reach into a lib from outside it other than by its package name (a relative path, a deep path). */
function importsAroundPackages(): string[] {
  const options = compilerOptions();
  const libOf = (file: string) => /^libs\/([^/]+)\//.exec(relative(ROOT, file).split('\\').join('/'))?.[1];
  const found: string[] = [];
  for (const file of ['src', 'libs', 'test', 'bench'].flatMap((folder) => sourceFiles(folder, true))) {
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule;
      const lib = resolved && libOf(resolved.resolvedFileName);
      if (lib && lib !== libOf(file) && !specifier.startsWith('@herald/')) found.push(`${relative(ROOT, file)} imports ${specifier}`);
    }
  }
  return found;
}

describe('folders of src/ and libs/', () => {
  const graph = folderGraph();

  it('reads the import graph (a sanity check that the reader sees imports, aliases included)', () => {
    expect(graph.get('src/auth')?.has('src/config')).toBe(true);
    expect(graph.get('libs/client/src')?.has('libs/contracts/src')).toBe(true);
  });

  it('import each other in no cycle (beyond the allowlisted ones being removed)', () => {
    const key = (component: string[]) => component.join(' ⇄ ');
    const allowed = new Set(ALLOWED.map(key));
    const found = cycles(graph);
    const unexpected = found.filter((c) => !allowed.has(key(c)));
    expect(unexpected.map((c) => explain(graph, c))).toEqual([]);
    const gone = ALLOWED.filter((c) => !found.some((f) => key(f) === key(c)));
    expect(gone.map((c) => `${key(c)} is gone: remove it from ALLOWED`)).toEqual([]);
  });

  it('import nothing against the flow (the forbidden edges), and the check sees imports of both folders', () => {
    const inside = (folder: string, root: string) => folder === root || folder.startsWith(`${root}/`);
    const found = FORBIDDEN.flatMap(([from, to]) =>
      [...graph].filter(([folder]) => inside(folder, from)).flatMap(([, edges]) => [...edges].filter(([target]) => inside(target, to)).map(([, example]) => example)),
    );
    expect(found).toEqual([]);
    // Both ends exist and import something: a renamed folder would make the rule vacuous.
    for (const [from, to] of FORBIDDEN) {
      expect([...graph.keys()].some((f) => inside(f, from) && graph.get(f)!.size > 0)).toBe(true);
      expect([...graph.keys()].some((f) => inside(f, to))).toBe(true);
    }
  });

  it('leave the leaf folders (ports, metrics, clock) importing no other folder', () => {
    const inside = (folder: string, root: string) => folder === root || folder.startsWith(`${root}/`);
    const found = LEAVES.flatMap((leaf) =>
      [...graph].filter(([folder]) => inside(folder, leaf)).flatMap(([, edges]) => [...edges].filter(([target]) => !inside(target, leaf)).map(([, example]) => example)),
    );
    expect(found).toEqual([]);
    for (const leaf of LEAVES) expect(graph.has(leaf)).toBe(true);
  });

  it('reach a lib only through its package (@herald/*), as a service that installs it does', () => {
    expect(importsAroundPackages()).toEqual([]);
  });
});
