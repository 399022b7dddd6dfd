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
const { isAscii } = require('node:buffer');
const { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
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

// The bundle (10 MB) and its cache (9 MB) are read without a buffer of their size from
// malloc. glibc's malloc serves a block that large with mmap, and when it is freed raises its
// thresholds to that size (its "dynamic mmap threshold"): from then on it keeps up to twice as
// much freed memory for reuse instead of returning it: 5-7 MB more at rest (docs/benchmarks.md, "Issue 29").
const CHUNK = 64 * 1024; // below glibc's default mmap threshold (128 KB)
const BEYOND_DYNAMIC_THRESHOLD = 33 * 1024 * 1024; // glibc raises its thresholds for blocks up to 32 MB only

/** The file's text, read a chunk at a time (tools/bundle.mjs writes the bundle in ASCII; any other is read whole). */
function readText(file) {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafeSlow(CHUNK);
    const parts = [];
    for (let n; (n = readSync(fd, chunk, 0, CHUNK, null)) > 0; ) {
      if (!isAscii(chunk.subarray(0, n))) return readFileSync(file, 'utf8');
      parts.push(chunk.toString('latin1', 0, n));
    }
    return parts.join('');
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes, in a block beyond the sizes for which glibc raises its thresholds (only the pages read are touched). */
function readBytes(file) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.allocUnsafeSlow(Math.max(size, BEYOND_DYNAMIC_THRESHOLD)).subarray(0, size);
    for (let at = 0, n; at < size && (n = readSync(fd, bytes, at, size - at, null)) > 0; ) at += n;
    return bytes;
  } finally {
    closeSync(fd);
  }
}

const source = readText(server);
let cachedData;
try {
  if (statSync(cacheFile).mtimeMs >= statSync(server).mtimeMs) cachedData = readBytes(cacheFile);
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
