import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import type { Principal } from '../../src/auth/principal';
import { Role } from '../../src/auth/role.enum';
import { TokenService } from '../../src/auth/token.service';
import { createHeraldApp, startHerald } from '../../src/bootstrap';
import type { Clock } from '../../src/clock/clock';
import { HeraldConfig } from '../../src/config/herald-config';
import { validateEnvironment } from '../../src/config/validate-environment';

/**
 * The database the end-to-end suites run on: SQLite in a temporary directory by
 * default; PostgreSQL when HERALD_TEST_DATABASE_URL is set (CI sets it), each
 * app in a schema of its own, dropped afterwards.
 */
export const TEST_DATABASE_URL = process.env.HERALD_TEST_DATABASE_URL;
export const DATABASE_KIND = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

let counter = 0;

export interface TestStorage {
  dataDir: string;
  schema: string;
}

export interface GraphqlResponse<T = any> {
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions: { code: string; fields?: Array<{ field: string; message: string }> } & Record<string, unknown> }>;
}

export class HeraldTestApp {
  private constructor(
    readonly app: INestApplication,
    readonly config: HeraldConfig,
    readonly url: string,
    /** Where this app keeps its data: pass to start() to boot another app on the same database. */
    readonly storage: TestStorage,
  ) {}

  /**
   * Boots the real app (migrations, seeding) with these extra environment
   * variables, on fresh storage or on the storage of an app started before.
   * `clock`: the time the app reads (a ManualClock the test moves); the system's by default.
   * `modules`: modules besides Herald's own (a channel written for the test).
   */
  static async start(env: Record<string, string> = {}, storage?: TestStorage, { clock, modules = [] }: { clock?: Clock; modules?: Array<Type | DynamicModule> } = {}): Promise<HeraldTestApp> {
    const { dataDir, schema } = storage ?? HeraldTestApp.freshStorage();
    const config = HeraldTestApp.config({ dataDir, schema }, env);
    const app = await createHeraldApp(config, { clock, modules });
    try {
      await startHerald(app, config, '127.0.0.1', 0);
    } catch (error) {
      // Start-up failed after the database was opened: close it, and drop fresh storage.
      await app.close();
      if (!storage) await removeStorage({ dataDir, schema });
      throw error;
    }
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new HeraldTestApp(app, config, `http://127.0.0.1:${port}`, { dataDir, schema });
  }

  /** Storage no app has used yet (for a suite that prepares the database before an app starts on it). */
  static freshStorage(): TestStorage {
    return { dataDir: mkdtempSync(join(tmpdir(), 'herald-e2e-')), schema: `herald_e2e_${process.pid}_${++counter}_${Date.now().toString(36)}` };
  }

  /** The configuration an app on this storage runs with (its `database` is where the data lives). */
  static config({ dataDir, schema }: TestStorage, env: Record<string, string> = {}): HeraldConfig {
    const fullEnv: Record<string, string> = {
      DATA_DIR: dataDir,
      JWT_SECRET: 'e2e-secret-that-is-long-enough-for-hs256-tokens',
      LOG_LEVEL: process.env.HERALD_TEST_LOG_LEVEL ?? 'error', // `log` or `debug` to see what Herald says while a suite runs
      GRAPHQL_IDE: 'false',
      ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, HERALD_SECRET_KEY: 'a'.repeat(64) } : {}),
      ...env,
    };
    return new HeraldConfig(validateEnvironment(fullEnv), fullEnv);
  }

  /** A bearer token for this app (signed by its own TokenService, so on its clock). */
  token(roles: Role | Role[], sub = 'tester', extra: Partial<Principal> = {}): string {
    return this.app.get(TokenService).sign({ sub, roles: ([] as Role[]).concat(roles), ...extra });
  }

  /** POSTs a GraphQL operation, as a client would. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphqlResponse<T>> {
    const req = request(this.url).post('/graphql').set('content-type', 'application/json');
    if (token) req.set('authorization', `Bearer ${token}`);
    const res = await req.send({ query, variables });
    return res.body as GraphqlResponse<T>;
  }

  /** As ADMIN; fails the test on any GraphQL error. */
  async admin<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.gql<T>(query, variables, this.token(Role.ADMIN, 'admin'));
    if (res.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data!;
  }

  /** Stops the app and deletes its data, unless it is kept for another app. */
  async close({ keepData = false } = {}): Promise<void> {
    await this.app.close();
    if (!keepData) await removeStorage(this.storage);
  }
}

export async function removeStorage({ dataDir, schema }: TestStorage): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  if (!TEST_DATABASE_URL) return;
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
