import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * One layout for the GraphQL API: feature folders. A feature's resolver, its
 * object types (`*.model.ts`), its inputs (`*.input.ts`, `*.args.ts`) and its
 * service sit together in a folder named for what the feature does
 * (settings/smtp-settings/, users/applications/, job-events/publishing/ …), never
 * in folders named for a kind of file (dto/, models/, inputs/, resolvers/, a
 * module's own graphql/; src/graphql/ is the API's plumbing, not a feature).
 *
 * So every GraphQL type file either sits beside a resolver that imports it, or is
 * shared by several features and sits at the root of its module (src/<module>/,
 * e.g. users/user.model.ts, smtp/smtp-check-result.model.ts), imported from at
 * least two other folders.
 */
const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');

/** Folder names that say what kind of file is inside rather than what it does. */
const KIND_FOLDERS = new Set(['dto', 'dtos', 'models', 'inputs', 'args', 'resolvers', 'types', 'graphql']);
const GRAPHQL_TYPE = /\.(models?|inputs?|args)\.ts$/;

const posix = (path: string) => path.split('\\').join('/');
const entries = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).map(posix);
const folders = entries.filter((e) => statSync(join(SRC, e)).isDirectory());
const sources = entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts') && !e.endsWith('.spec.ts'));

function compilerOptions(): ts.CompilerOptions {
  const file = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file).options;
}

/** file (relative to src/) → the files of src/ it imports (relative to src/). */
function importsOf(): Map<string, string[]> {
  const options = compilerOptions();
  const graph = new Map<string, string[]>();
  for (const file of sources) {
    const path = join(SRC, file);
    const targets: string[] = [];
    for (const { fileName } of ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(fileName, path, options, ts.sys).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport) continue;
      const target = posix(relative(SRC, resolved.resolvedFileName));
      if (!target.startsWith('..')) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

const folderOf = (file: string) => posix(dirname(file));

describe('layout of src/', () => {
  const imports = importsOf();

  it('reads the imports (a sanity check: the resolvers import their types)', () => {
    const resolvers = sources.filter((f) => f.endsWith('.resolver.ts'));
    expect(resolvers.length).toBeGreaterThan(5);
    expect(resolvers.every((r) => (imports.get(r) ?? []).length > 0)).toBe(true);
  });

  it('has no folder named for a kind of file (dto/, models/, …) — only feature folders', () => {
    const found = folders.filter((f) => f !== 'graphql' && KIND_FOLDERS.has(f.split('/').pop()!));
    expect(found.map((f) => `src/${f}`)).toEqual([]);
  });

  it('keeps each GraphQL type beside a resolver that uses it, or at its module root when features share it', () => {
    const misplaced: string[] = [];
    for (const file of sources.filter((f) => GRAPHQL_TYPE.test(f))) {
      const folder = folderOf(file);
      const importers = [...imports].filter(([, targets]) => targets.includes(file)).map(([from]) => from);
      const besideItsResolver = importers.some((from) => from.endsWith('.resolver.ts') && folderOf(from) === folder);
      const importingFolders = new Set(importers.map(folderOf).filter((f) => f !== folder));
      const sharedAtModuleRoot = !folder.includes('/') && folder !== '.' && importingFolders.size >= 2;
      if (!besideItsResolver && !sharedAtModuleRoot) {
        misplaced.push(`src/${file} (imported from ${[...importingFolders].map((f) => `src/${f}`).join(', ') || 'nowhere'})`);
      }
    }
    expect(misplaced).toEqual([]);
  });
});
