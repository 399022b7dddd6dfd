// Two projects: unit tests beside the code (`*.spec.ts`) and end-to-end suites
// in test/ (`*.e2e-spec.ts`) that boot the real app against real SQLite/PostgreSQL
// and a real SMTP server. `--experimental-vm-modules` (set by the npm scripts) lets
// Jest load NestJS 12, which is ESM-only, from our CommonJS build.
//
// Tests run against the libs' sources: the @herald/* aliases map as tsconfig.json's
// `paths` do (the built app resolves them to the libs' compiled packages instead).
const ts = require('typescript');
const { pathsToModuleNameMapper } = require('ts-jest');

const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: false }];
const { paths } = ts.readConfigFile('tsconfig.json', ts.sys.readFile).config.compilerOptions;
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(paths, { prefix: '<rootDir>/' }),
};
module.exports = {
  // End-to-end suites wait for outcomes (mails arriving, retries) with bounded polling.
  testTimeout: 60_000,
  // Two workers even on 2 cores (Jest's default there is one): the suites mostly wait
  // on sockets and timers, so two in parallel used 1.06 cores and took the SQLite run
  // from 832 s to 387 s on this project's 2-core machine.
  maxWorkers: Math.max(2, require('node:os').availableParallelism() - 1),
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
