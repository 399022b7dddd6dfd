#!/usr/bin/env node
// Run after `npm ci --omit=dev`: removes what npm keeps of the dev tools.
//
// npm marks "devOptional" a package that is a dev dependency and also an optional
// dependency or optional peer of a production package, and `--omit=dev` keeps it
// (npm drops it only when dev and optional are both omitted). That is how a
// production install gets typescript (an optional peer of @nestjs/graphql and
// cosmiconfig), bullmq and ioredis (an optional peer of @nestjs-modules/mailer), and
// the test tools' helpers. No production package needs them: they are reachable
// from production only through optional edges. `--omit=optional` is not the way:
// @nestjs-modules/mailer requires lodash, which only its optional template engines
// declare. See docs/operations.md.
//
//   node tools/omit-dev-optional.js    (in the folder holding package-lock.json)
'use strict';
const { readFileSync, readdirSync, readlinkSync, rmSync, existsSync } = require('node:fs');
const { join, resolve, dirname } = require('node:path');

const { packages } = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const removed = Object.entries(packages).filter(([path, entry]) => path && entry.devOptional).map(([path]) => path);
for (const path of removed) rmSync(path, { recursive: true, force: true });
// Their commands (node_modules/.bin/tsc, …) now point nowhere.
const bin = join('node_modules', '.bin');
for (const name of existsSync(bin) ? readdirSync(bin) : []) {
  const link = join(bin, name);
  if (!existsSync(resolve(dirname(link), readlinkSync(link)))) rmSync(link, { force: true });
}
console.log(`omit-dev-optional: removed ${removed.length} packages that only the dev tools need`);
