#!/usr/bin/env node
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadSecretKey, SecretCipher } from '../libs/crypto/src';
import { JwtSecret } from './auth/jwt-secret';
import { Role, ROLES } from './auth/role.enum';
import { TokenService } from './auth/token.service';
import { HeraldConfig, loadConfig } from './config/herald-config';
import { dataSourceOptions } from './database/data-source-options';
import { openDatabase } from './database/prepare-database';
import { printHeraldSchema } from './graphql/print-schema';

const USAGE = `usage: herald <command>

  encrypt-password          read a password from stdin (or a prompt) and print ENC(...)
  token --sub ID --role R   mint a development bearer token (R: ${ROLES.join(', ')}; repeat --role for more)
        [--name N] [--email E] [--expires 12h]
  migrate                   run pending database migrations
  schema [--out FILE]       write the GraphQL schema (default schema.graphql)
`;

/** Where the commands read and write; tests pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  out(line: string): void;
  err(line: string): void;
}

const PROCESS_IO: CliIo = {
  stdin: process.stdin,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

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

function token(config: HeraldConfig, args: string[], io: CliIo): void {
  const { values } = parseArgs({
    args,
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      email: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  if (!values.sub) throw new Error('--sub is required');
  const roles = (values.role ?? ['USER']).flatMap((r) => r.split(',')).map((r) => r.trim().toUpperCase());
  const unknown = roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length) throw new Error(`unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`);
  const tokens = new TokenService(JwtSecret.load(config), config);
  const expires = /^\d+$/.test(values.expires!) ? Number(values.expires) : values.expires!;
  io.out(tokens.sign({ sub: values.sub, roles: roles as Role[], name: values.name, email: values.email }, expires));
}

async function migrate(config: HeraldConfig, io: CliIo): Promise<void> {
  const { dataSource, applied } = await openDatabase({ ...dataSourceOptions(config.database), migrationsRun: true });
  await dataSource.destroy();
  io.out(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
}

async function schema(config: HeraldConfig, args: string[], io: CliIo): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'schema.graphql' } } });
  writeFileSync(values.out!, await printHeraldSchema(config));
  io.out(`wrote ${values.out}`);
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], config: HeraldConfig = loadConfig(), io: CliIo = PROCESS_IO): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'encrypt-password':
        await encryptPassword(config, io);
        return 0;
      case 'token':
        token(config, args, io);
        return 0;
      case 'migrate':
        await migrate(config, io);
        return 0;
      case 'schema':
        await schema(config, args, io);
        return 0;
      default:
        io.err(USAGE);
        return command ? 2 : 0;
    }
  } catch (error) {
    io.err(`herald: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(`herald: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
