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

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  // Prompt without echoing what is typed.
  let muted = false;
  const output = new Writable({ write: (chunk, _enc, done) => (muted || process.stderr.write(chunk), done()) });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve) => rl.question('Password: ', resolve));
  muted = true;
  const password = await answer;
  rl.close();
  process.stderr.write('\n');
  return password;
}

async function encryptPassword(config: HeraldConfig): Promise<void> {
  const password = await readPassword();
  if (!password) throw new Error('empty password');
  const { key, createdFile } = loadSecretKey(config.secretKey);
  if (createdFile) console.error(`generated the secret key ${createdFile}: back it up`);
  console.log(new SecretCipher(key).encrypt(password));
}

function token(config: HeraldConfig, args: string[]): void {
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
  console.log(tokens.sign({ sub: values.sub, roles: roles as Role[], name: values.name, email: values.email }, expires));
}

async function migrate(config: HeraldConfig): Promise<void> {
  const { dataSource, applied } = await openDatabase({ ...dataSourceOptions(config.database), migrationsRun: true });
  await dataSource.destroy();
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
}

async function schema(config: HeraldConfig, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'schema.graphql' } } });
  writeFileSync(values.out!, await printHeraldSchema(config));
  console.log(`wrote ${values.out}`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const config = loadConfig();
  switch (command) {
    case 'encrypt-password':
      return encryptPassword(config);
    case 'token':
      return token(config, args);
    case 'migrate':
      return migrate(config);
    case 'schema':
      return schema(config, args);
    default:
      process.stderr.write(USAGE);
      process.exitCode = command ? 2 : 0;
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`herald: ${error.message}`);
  process.exit(1);
});
