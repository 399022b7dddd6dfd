// What `npm start`, the `serve` script and the Docker image run: tools/bundle.mjs copies
// this file to dist/herald.cjs, beside the bundled server (dist/herald-server.cjs) that it
// runs with V8's code cache (dist/herald-server.cjs.v8-cache).
//
// Why: compiling the bundle's functions is a third of Herald's start-up. Node's own
// compile cache (module.enableCompileCache) keeps only what is compiled before the code
// runs, the module wrappers; this cache is taken from the running server, so it holds
// every function the start-up (and the work since) compiled. Start-up went from
// 0.80 to 0.52 s (docs/benchmarks.md, "Idle RSS and start-up").
//
// The cache is written when there was none that V8 accepted (the first start after a build,
// or another Node or other V8 flags), as the process exits cleanly or ten seconds after it
// started, whichever comes first; where dist/ is not writable (a read-only image) there
// is simply no cache. V8 checks its version, its flags and the source's length; the cache
// is also ignored when it is older than the bundle, and the build removes it.
//
// Under --enable-source-maps the bundle is required as usual: Node maps stack traces of
// modules it loads itself, not of scripts compiled with node:vm.
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const server = join(__dirname, 'herald-server.cjs');
const cacheFile = `${server}.v8-cache`;
const WRITE_AFTER_MS = 10_000;

if (process.sourceMapsEnabled) {
  require(server);
  return;
}

const source = readFileSync(server, 'utf8');
let cachedData;
try {
  if (statSync(cacheFile).mtimeMs >= statSync(server).mtimeMs) cachedData = readFileSync(cacheFile);
} catch {
  // no cache yet
}

// The bundle has no import(): tools/bundle.mjs makes each a require(), as a script of
// node:vm can only import() with an experimental loader.
const script = new Script(Module.wrap(source), { filename: server, cachedData });

if (!cachedData || script.cachedDataRejected) {
  let written = false;
  const writeCache = () => {
    if (written) return;
    written = true;
    const partial = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, cacheFile); // whole or not at all, should two processes race
    } catch {
      rmSync(partial, { force: true }); // not writable here: no cache, nothing else changes
    }
  };
  setTimeout(writeCache, WRITE_AFTER_MS).unref();
  process.once('exit', (code) => code === 0 && writeCache());
}

const serverModule = new Module(server, module);
serverModule.filename = server;
script.runInThisContext().call(serverModule.exports, serverModule.exports, Module.createRequire(server), serverModule, server, __dirname);
