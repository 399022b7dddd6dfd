#!/usr/bin/env node
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fitsLength, isIdentifierText } from '@herald/contracts';
import { loadSecretKey, SecretCipher } from '@herald/crypto';
import { Logger } from '@nestjs/common';
import { JwtSecret } from './auth/jwt-secret';
import { Role, ROLES } from './auth/role.enum';
import { TokenService } from './auth/token.service';
import { createLogger } from './bootstrap';
import { SystemClock } from './clock/clock';
import { parseDuration } from './config/duration';
import { HeraldConfig, loadConfig } from './config/herald-config';
import { dataSourceOptions } from './database/data-source-options';
import { openDatabase } from './database/prepare-database';
import { printHeraldSchema } from './print-schema';

/** Where the commands read and write; tests pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out(line: string): void;
  err(line: string): void;
  /** Where Herald's own logs (the database's, Nest's) go once the configuration is known. */
  useLogger?(config: HeraldConfig): void;
}

const PROCESS_IO: CliIo = {
  stdin: process.stdin,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  // To stderr, as LOG_LEVEL / LOG_FORMAT say, coloured on a terminal only: stdout is the command's output.
  useLogger: (config) => Logger.overrideLogger(createLogger(config, { stderrOnly: true })),
};

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `herald <name>` command: what its help shows, the options it takes, what it does. */
interface Command {
  /** The arguments, as the usage line shows them. */
  synopsis: string;
  /** What it does, in one line, for the list of commands. */
  summary: string;
  /** More, for `herald <command> --help`. */
  details?: string;
  options: Options;
  run(values: Values, config: HeraldConfig, io: CliIo): Promise<void> | void;
}

/** Wrong arguments: exit code 2 and the command's usage, as POSIX tools do. */
class UsageError extends Error {}

/** An ordinary failure (no key, database down, …): exit code 1. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const COMMANDS: Record<string, Command> = {
  token: {
    synopsis: '--sub ID [--role R]... [--name N] [--email E] [--expires 12h]',
    summary: 'mint a development bearer token and print it (only it)',
    details:
      `The token is signed with Herald's JWT secret (JWT_SECRET, JWT_SECRET_FILE or DATA_DIR/jwt-secret).\n` +
      `Roles: ${ROLES.join(', ')} (default USER; repeat --role or separate with commas).\n` +
      `--expires is a duration (12h, 30m, 7d) or a number of seconds: 12h by default, at most\n` +
      `JWT_MAX_LIFETIME (24h unless set; the default is that when shorter than 12h).`,
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      email: { type: 'string' },
      expires: { type: 'string' },
    },
    run: (values, config, io) => token(values, config, io),
  },
  'encrypt-password': {
    synopsis: '',
    summary: 'read a password from stdin or a prompt and print it encrypted, as ENC(...)',
    details:
      'The value is encrypted with Herald\'s secret key, for SMTP_PASSWORD, HERALD_SETTINGS_FILE or the API.\n' +
      'The password is never taken from the command line, where other users could see it.',
    options: {},
    run: (_values, config, io) => encryptPassword(config, io),
  },
  migrate: {
    synopsis: '',
    summary: 'run the pending database migrations and list what was applied',
    details: 'For MIGRATIONS_RUN=false, where Herald does not migrate on start.',
    options: {},
    run: (_values, config, io) => migrate(config, io),
  },
  schema: {
    synopsis: '[--out FILE]',
    summary: 'write the GraphQL schema (SDL) to FILE (default schema.graphql)',
    options: { out: { type: 'string', default: 'schema.graphql' } },
    run: (values, config, io) => schema(values.out as string, config, io),
  },
};

const HELP_FLAGS = ['--help', '-h'];

function commandUsage(name: string): string {
  const { synopsis, summary, details } = COMMANDS[name];
  const text = [summary[0].toUpperCase() + summary.slice(1) + '.', details].filter(Boolean).join('\n');
  return `usage: herald ${name}${synopsis ? ` ${synopsis}` : ''}\n\n${text.replace(/^/gm, '  ')}`;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    'usage: herald <command> [options]',
    '',
    ...lines,
    '',
    '`herald <command> --help` describes a command. Herald reads its configuration from the',
    'environment and ./.env (DATA_DIR, DATABASE_URL, JWT_SECRET, HERALD_SECRET_KEY, …).',
  ].join('\n');
}

function token(values: Values, config: HeraldConfig, io: CliIo): void {
  if (!values.sub) throw new UsageError('--sub is required');
  const sub = values.sub as string;
  // The rule of ids (ExternalId) that TokenService holds a token's sub to.
  if (!isIdentifierText(sub) || !fitsLength(sub, 255)) {
    throw new UsageError('--sub must be an id: 1–255 characters without white space or control characters (Herald would refuse the token)');
  }
  const roles = ((values.role as string[] | undefined) ?? ['USER'])
    .flatMap((r) => r.split(','))
    .map((r) => r.trim().toUpperCase());
  const unknown = roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length) throw new UsageError(`unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`);
  const expires = values.expires as string | undefined;
  const lifetime = expires === undefined ? undefined : parseDuration(expires);
  if (expires !== undefined && lifetime === undefined) {
    throw new UsageError(`--expires must be a duration: seconds, or a number with s, m, h or d (e.g. 12h), not "${expires}"`);
  }
  const max = config.jwt.maxLifetime;
  if (lifetime !== undefined && lifetime > max.seconds) {
    throw new UsageError(`--expires ${expires} is longer than JWT_MAX_LIFETIME (${max.text}): Herald would refuse the token; ask for less, or raise JWT_MAX_LIFETIME`);
  }
  const tokens = new TokenService(JwtSecret.load(config), config, new SystemClock());
  const principal = { sub, roles: roles as Role[], name: values.name as string, email: values.email as string };
  io.out(tokens.sign(principal, lifetime));
}

async function readPassword(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  // Prompt without echoing what is typed.
  let muted = false;
  const output = new Writable({ write: (chunk, _enc, done) => (muted || process.stderr.write(chunk), done()) });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve) => rl.question('Password: ', resolve));
  muted = true;
  const password = await answer;
  rl.close();
  process.stderr.write('\n');
  return password;
}

async function encryptPassword(config: HeraldConfig, io: CliIo): Promise<void> {
  const password = await readPassword(io);
  if (!password) throw new Error('empty password');
  const { key, createdFile } = loadSecretKey(config.secretKey);
  if (createdFile) io.err(`generated the secret key ${createdFile}: back it up`);
  io.out(new SecretCipher(key).encrypt(password));
}

async function migrate(config: HeraldConfig, io: CliIo): Promise<void> {
  const { dataSource, applied } = await openDatabase({ ...dataSourceOptions(config.database), migrationsRun: true });
  await dataSource.destroy();
  io.out(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
}

async function schema(out: string, config: HeraldConfig, io: CliIo): Promise<void> {
  writeFileSync(out, await printHeraldSchema(config));
  io.out(`wrote ${out}`);
}

/** Parses a command's arguments: unknown options and stray arguments are usage errors. */
function parse(command: Command, args: string[]): Values {
  try {
    return parseArgs({ args, options: command.options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // node:util's messages are already clear ("Unknown option '--foo'", "Unexpected argument 'x'").
    throw new UsageError((error as Error).message);
  }
}

/**
 * Runs one command and returns the exit code: 0 done, 1 failed, 2 wrong arguments.
 * `herald --help` and `herald <command> --help` print help to stdout and succeed;
 * wrong arguments print the usage to stderr. The configuration is loaded only when
 * a command runs, so help works even with a broken environment.
 */
export async function runCli(argv: string[], config?: HeraldConfig, io: CliIo = PROCESS_IO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.err(usage());
    return EXIT_USAGE;
  }
  if (HELP_FLAGS.includes(name) || name === 'help') {
    const topic = args[0];
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) io.out(commandUsage(topic));
    else io.out(usage());
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    io.err(`herald: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = COMMANDS[name];
  // Help wins over everything else on the line (before `--`, which ends the options).
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (options.some((a) => HELP_FLAGS.includes(a))) {
    io.out(commandUsage(name));
    return 0;
  }
  try {
    const values = parse(command, args);
    const loaded = config ?? loadConfig();
    io.useLogger?.(loaded);
    await command.run(values, loaded, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`herald ${name}: ${error.message}\n\n${commandUsage(name)}`);
      return EXIT_USAGE;
    }
    io.err(`herald: ${(error as Error).message}`);
    return EXIT_FAILURE;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(`herald: ${error.message}`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
