// Bundles the built server into one file, dist/herald-server.cjs, run by dist/herald.cjs
// (tools/bundle-entry.cjs, with V8's code cache): what `npm start`, the `serve` script and
// the Docker image run (docs/operations.md). Run by `npm run build`, after tsc:
// its output (dist/src/main.js) is the input, so the decorator metadata that tsc emits
// (emitDecoratorMetadata: Nest's injection, TypeORM, class-validator) is kept as is.
// Why: Node loads ~3,000 module files for an unbundled Herald, half its start-up; see
// docs/benchmarks.md, "Idle RSS and start-up".
//
//   node tools/bundle.mjs [--outfile=dist/herald.cjs] [--minify] [--metafile=<file>]
//   (--minify: measured, not used; --metafile writes esbuild's account of what went in, for
//   https://esbuild.github.io/analyze/)
//   (--outfile names the entry; the bundle is <name>-server.cjs beside it)
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const minify = args.includes('--minify');
const entry = resolve(root, (args.find((a) => a.startsWith('--outfile=')) ?? '--outfile=dist/herald.cjs').slice('--outfile='.length));
const outfile = entry.replace(/\.cjs$/, '-server.cjs');
if (outfile === entry) throw new Error('--outfile must end in .cjs');
const distSrc = resolve(root, 'dist', 'src');
// The SMTP pool's thread runs its own script from the build (src/smtp/thread/threaded-pool.ts), not from the bundle.
const poolWorker = resolve(distSrc, 'smtp', 'thread', 'smtp-pool.worker.js');
if (!existsSync(poolWorker)) throw new Error(`${relative(root, poolWorker)} is missing: the SMTP pool's thread could not start`);

// Herald's modules read their templates and messages (*.hbs, *.json, copied to dist/src by
// the build) next to themselves: `join(__dirname, 'x.hbs')`. In the bundle __dirname is the
// bundle's folder, so each module's __dirname becomes its own folder under dist/src.
const heraldDirname = {
  name: 'herald-dirname',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(distSrc)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const folder = relative(dirname(outfile), dirname(args.path)).split('\\').join('/');
      return { contents: source.replaceAll('__dirname', `require('node:path').join(__dirname, ${JSON.stringify(folder)})`), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

// Optional packages that Nest and its drivers import only when used (fastify, Apollo
// federation and gateway, @nestjs/websockets, kafkajs, …) and that Herald does not install
// stay outside: the import fails at run time if it is ever reached, as it would unbundled.
const missing = new Set();
const optionalMissing = {
  name: 'optional-missing',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.probing) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { probing: true } });
      if (found.errors.length === 0) return found;
      missing.add(args.path);
      return { path: args.path, external: true };
    });
  },
};

// @nestjs/typeorm looks up TypeORM 0.3's `Connection` and `AbstractRepository` with a
// require() that esbuild cannot follow, which would load a second, unbundled TypeORM (about
// 300 files) only to find that TypeORM 1 has neither: the bundled TypeORM answers instead.
const typeormCompat = {
  name: 'typeorm-compat',
  setup(b) {
    b.onLoad({ filter: /@nestjs[\\/]typeorm[\\/]dist[\\/]common[\\/]typeorm-compat\.js$/ }, () => ({
      contents: "import * as typeorm from 'typeorm';\nexport const Connection = typeorm['Connection'];\nexport const AbstractRepository = typeorm['AbstractRepository'];\n",
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// Apollo's Express integration reads each request's query string with url.parse(), which Node
// deprecates (DEP0169) and warns about, once, when the caller is not under node_modules: in
// the bundle it is not. The WHATWG parser gives the same query string.
const expressIntegration = {
  name: 'express-integration-url',
  setup(b) {
    b.onLoad({ filter: /@as-integrations[\\/]express5[\\/]dist[\\/]esm[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const patched = source.replace('urlParse(req.url).search', "new URL(req.url, 'http://localhost').search");
      if (patched === source) throw new Error(`${args.path}: no urlParse(req.url).search to replace (was the package updated?)`);
      return { contents: patched, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

// Code that Herald can never run, left out of the bundle (1.3 MB of its 10 MB source, which
// V8 keeps on the heap): each module is replaced by a stub that throws, naming the module and
// this file, if it is ever reached. docs/benchmarks.md, "Issue 29: start-up".
// - TypeORM's DriverFactory requires all 15 drivers: Herald runs on better-sqlite3 and
//   postgres only. A stub driver is required with the others, so it throws when constructed.
// - @apollo/usage-reporting-protobuf: Apollo Studio's usage reporting and the federated
//   subgraph's inline traces, the only requirers, are disabled in GraphqlApiModule.
// - iconv-lite's double-byte tables (Japanese, Chinese, Korean): body-parser (raw-body) decodes
//   every body with iconv-lite, but its JSON parser accepts the UTF charsets only and its
//   urlencoded parser UTF-8 and ISO-8859-1 (a 415 otherwise), none of which reads a table.
const typeormDrivers = /^\.\/(aurora-mysql|aurora-postgres|capacitor|cockroachdb|cordova|expo|mongodb|mysql|nativescript|oracle|react-native|sap|spanner|sqljs|sqlserver)\/(\w+Driver)$/;
const leftOut = {
  name: 'left-out',
  setup(b) {
    const stub = (what, contents) => ({ path: what, namespace: 'left-out', pluginData: { contents } });
    const error = (what) => `new Error(${JSON.stringify(`${what} is left out of Herald's bundle (tools/bundle.mjs): Herald never runs it`)})`;
    b.onResolve({ filter: typeormDrivers }, (args) => {
      if (!/typeorm[\\/]driver[\\/]DriverFactory\.js$/.test(args.importer)) return undefined;
      const [, folder, name] = typeormDrivers.exec(args.path);
      const what = `typeorm/driver/${folder}/${name}`;
      return stub(what, `exports.${name} = class ${name} { constructor() { throw ${error(what)}; } };\n`);
    });
    b.onResolve({ filter: /^@apollo\/usage-reporting-protobuf$/ }, (args) => stub(args.path, `throw ${error(args.path)};\n`));
    b.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, (args) => {
      if (!/iconv-lite[\\/]encodings[\\/]dbcs-data\.js$/.test(args.importer)) return undefined;
      const what = `iconv-lite/encodings/${args.path.slice(2)}`;
      return stub(what, `throw ${error(what)};\n`);
    });
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({ contents: args.pluginData.contents, loader: 'js' }));
  },
};

const metafile = args.find((a) => a.startsWith('--metafile='))?.slice('--metafile='.length);

const result = await build({
  entryPoints: [resolve(distSrc, 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs', // as tsc emits; the ESM dependencies (NestJS 12) are converted
  target: 'node24',
  // import() becomes a require() (Node 24 requires ES modules too): the entry compiles the
  // bundle with node:vm, whose scripts cannot import() without an experimental loader.
  supported: { 'dynamic-import': false },
  // Whitespace only: full minification (identifiers, syntax) turns every module's wrapper
  // into an arrow function passed as an argument, which V8 compiles eagerly: +15 MB RSS.
  minifyWhitespace: true,
  minifyIdentifiers: minify,
  minifySyntax: minify,
  keepNames: true, // class names are Nest's injection tokens and GraphQL type names
  legalComments: 'none',
  // dist/herald-server.cjs.map, named at the end of the bundle: read only when Node runs with
  // --enable-source-maps (stack traces then name the sources); without it, it costs nothing.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // The ESM dependencies' import.meta becomes the bundle's own URL, path and folder.
  // And the helpers that replace esbuild's (keepNamesCheaply and copyingOnce below).
  banner: {
    js:
      "const __bundle_import_meta_url = require('node:url').pathToFileURL(__filename).href;" +
      ' function __herald_keep_name(target, value) { const name = target.name; return name === value || name === "" ? target : Object.defineProperty(target, "name", { value, configurable: true }); }' +
      ' const __herald_copies = [new WeakMap(), new WeakMap(), new WeakMap()];' +
      ' function __herald_once(kind, mod, copy) { if (mod === null || (typeof mod !== "object" && typeof mod !== "function")) return copy(); const keys = Object.getOwnPropertyNames(mod).length; const cached = __herald_copies[kind].get(mod); if (cached && cached.keys === keys) return cached.copy; const made = copy(); __herald_copies[kind].set(mod, { keys, copy: made }); return made; }' +
      ' function __herald_to_cjs(mod) { return __herald_once(0, mod, () => __copyProps(__defProp({}, "__esModule", { value: true }), mod)); }' +
      ' function __herald_to_esm(mod, isNodeMode) { return __herald_once(isNodeMode ? 1 : 2, mod, () => { const target = mod != null ? __create(__getProtoOf(mod)) : {}; return __copyProps(isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target, mod); }); }',
  },
  define: { 'import.meta.url': '__bundle_import_meta_url', 'import.meta.filename': '__filename', 'import.meta.dirname': '__dirname' },
  plugins: [heraldDirname, leftOut, optionalMissing, typeormCompat, expressIntegration],
  // Required from node_modules at run time, as unbundled:
  external: [
    'better-sqlite3', // native addon
    'pg-native', // pg's optional native client
    // Large, and required only by what a default Herald does not use:
    'amqplib', // the broker (RABBITMQ_URL), required when it connects
    'amqp-connection-manager',
    'imapflow', // the bounce reader (a report mailbox set), required at its first look
    'mailparser', // reading a bounce report, required with it
    'preview-email', // @nestjs-modules/mailer's `preview` option
    'bullmq', // @nestjs-modules/mailer's queue
    'ioredis', // bullmq's and Nest's Redis transport
    'typescript', // the SMTP pool's thread run from its sources (Jest alone): never reached from the build
  ],
});

// esbuild leaves non-ASCII characters in regular expressions (validator's alphabets): one
// above U+00FF makes V8 hold the whole source as a two-byte string (twice the file's size,
// for the life of the process). Each becomes \uXXXX, which means the same in a string, a
// template, a regular expression or a comment.
const text = readFileSync(outfile, 'utf8');
const ascii = copyingOnce(namedInPlace(keepNamesCheaply(text))).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (ascii !== text) writeFileSync(outfile, ascii);

// keepNames wraps every named function, class and arrow in esbuild's `__name(fn, "name")`,
// which redefines `name` with Object.defineProperty, also for the arrows made anew at each
// call (a callback per mail): 4 % of Herald's CPU with one recipient per event. The names
// that matter are those of classes (Nest's tokens, GraphQL's and TypeORM's names), which
// esbuild renames when two modules declare the same one (`GraphQLModule2`): those are set
// back. A function that has no name (an arrow or function expression made in place, as
// __name's argument) keeps none: it shows in a stack trace as anonymous, at its place in
// the bundle (the source map names the source). The helper is replaced by one of the same
// length, so that the source map's columns on that line hold.
function keepNamesCheaply(source) {
  const helper = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:true});';
  const cheaper = 'var __name=__herald_keep_name;'.padEnd(helper.length, ' ');
  if (cheaper.length !== helper.length) throw new Error('the cheaper __name is longer than esbuild\'s');
  if (!source.includes(helper)) throw new Error(`${outfile}: no esbuild __name helper to replace (was esbuild updated?)`);
  return source.replace(helper, cheaper);
}

// Where esbuild renamed a function made at each call (`function wrapper2`, the kept name
// "wrapper"), the kept name differs from the function's own, so __name defines it at each
// call: for Handlebars' wrapHelper, every helper at every run of a template; with its
// template's `main`, ~0.8 % of Herald's CPU per one-recipient mail. Each of these is written
// with the kept name as its own (its body names neither), without __name, the same length,
// so that the source map's columns hold.
function namedInPlace(source) {
  const renamed = [
    // handlebars/lib/handlebars/internal/wrapHelper.js
    ['var wrapper=__name(function wrapper2(){var options=arguments[arguments.length-1];arguments[arguments.length-1]=transformOptionsFn(options);return helper.apply(this,arguments)},"wrapper");',
     'var wrapper=function wrapper(){var options=arguments[arguments.length-1];arguments[arguments.length-1]=transformOptionsFn(options);return helper.apply(this,arguments)};'],
    // handlebars/lib/handlebars/runtime.js, template()'s ret: its `main`, at every run of a template
    ['function main2(context2){return""+templateSpec.main(container,context2,container.helpers,container.partials,data,blockParams,depths)}__name(main2,"main");main2=executeDecorators(templateSpec.main,main2,container,options.depths||[],data,blockParams);return main2(context,options)}',
     'function main(context2){return""+templateSpec.main(container,context2,container.helpers,container.partials,data,blockParams,depths)}main=executeDecorators(templateSpec.main,main,container,options.depths||[],data,blockParams);return main(context,options)}'],
    // and wrapProgram's `prog`, at every block (`{{#if}}`, `{{#each}}`) of a run: named so already, __name only reads its name
    ['}__name(prog,"prog");prog=executeDecorators(fn,prog,container,depths,data,blockParams);', '};prog=executeDecorators(fn,prog,container,depths,data,blockParams);'],
  ];
  for (const [named, inPlace] of renamed) {
    if (!source.includes(named)) throw new Error(`${outfile}: no ${named.slice(0, 40)}… to name in place (was the package or esbuild updated?)`);
    source = source.replace(named, inPlace.padEnd(named.length, ' '));
  }
  return source;
}

if (metafile) writeFileSync(metafile, JSON.stringify(result.metafile));

// Where CommonJS requires an ES module (Herald's modules, as tsc emits them, require NestJS 12),
// esbuild's __toCommonJS copies the module's exports into a new object of getters, one closure
// per export, at every require: @nestjs/common's ~300 exports 157 times over, and __toESM
// likewise where an ES module imports a CommonJS one. Node's own require(esm) gives the same
// namespace each time; so does the bundle now: one copy per module (and kind), made again only
// when the module has gained exports since (an `export *` still running in a cycle). Measured:
// 7 MB less heap at rest, 3 % less CPU to start (docs/benchmarks.md, "Issue 29").
function copyingOnce(source) {
  const helpers = [
    ['var __toESM=(mod,isNodeMode,target)=>(target=mod!=null?__create(__getProtoOf(mod)):{},__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target,"default",{value:mod,enumerable:true}):target,mod));', 'var __toESM=__herald_to_esm;'],
    ['var __toCommonJS=mod=>__copyProps(__defProp({},"__esModule",{value:true}),mod);', 'var __toCommonJS=__herald_to_cjs;'],
  ];
  for (const [helper, once] of helpers) {
    if (!source.includes(helper)) throw new Error(`${outfile}: no esbuild helper ${helper.slice(0, 20)}… to replace (was esbuild updated?)`);
    source = source.replace(helper, once.padEnd(helper.length, ' ')); // the same length: the source map's columns hold
  }
  return source;
}

// What is left of import() must be code that the bundle compiles itself (TypeORM's, from a string).
const imports = ascii.replaceAll('Function("return filePath => import(filePath)")', '').match(/[^\w.$]import\(.{0,40}/g);
if (imports) throw new Error(`${outfile}: import() left in the bundle, which node:vm cannot run: ${imports.join(' | ')}`);

// The entry runs the bundle with its code cache; a cache of the previous bundle is removed.
// The entry looks for the bundle as herald-server.cjs beside it.
rmSync(`${outfile}.v8-cache`, { force: true });
const entrySource = readFileSync(resolve(root, 'tools', 'bundle-entry.cjs'), 'utf8');
if (!entrySource.includes("'herald-server.cjs'")) throw new Error('tools/bundle-entry.cjs no longer names herald-server.cjs');
writeFileSync(entry, entrySource.replace("'herald-server.cjs'", JSON.stringify(relative(dirname(entry), outfile))));

const bytes = Buffer.byteLength(ascii);
console.error(
  `herald: bundled ${Object.keys(result.metafile.inputs).length} files into ${relative(root, outfile)} (${(bytes / 1e6).toFixed(1)} MB), run by ${relative(root, entry)}` +
    (missing.size ? `; not installed, left outside: ${[...missing].sort().join(', ')}` : ''),
);
