'use strict';
// What count-pg.cjs and count-gc.cjs share: following the phase file the bench writes
// (BENCH_PHASE_FILE: 'measure …', 'end …'), calling onPhase(name) each time it changes.
const fs = require('node:fs');

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // not written yet
  }
}

exports.watchPhase = function watchPhase(file, onPhase) {
  let seen = read(file) ?? '';
  setInterval(() => {
    const now = read(file);
    if (now === undefined || now === seen) return;
    seen = now;
    onPhase(now.trim().split(' ')[0]);
  }, 20).unref();
};
