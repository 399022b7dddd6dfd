import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import type { DatabaseConfig } from '../../src/config/herald-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ApplicationEntity } from '../../src/users/entities/application.entity';
import { MembershipEntity, MembershipRole } from '../../src/users/entities/membership.entity';
import { PreferenceEntity } from '../../src/users/entities/preference.entity';
import { UserEntity } from '../../src/users/entities/user.entity';
import { addressKey } from '../../src/users/suspensions/address-suspensions';
import { BENCH_JWT_SECRET, type HeraldProcess } from './herald-process';
import { managersOf } from './job-events';

/** How the benchmarks talk to a running Herald: its GraphQL API and POST /events, and its database for big fixtures. */
const jwt = new JwtService({ secret: BENCH_JWT_SECRET });
// Herald refuses a token without exp, or lasting longer than JWT_MAX_LIFETIME (24h by default).
const token = (roles: string[], sub: string) => jwt.sign({ roles }, { subject: sub, expiresIn: '12h' });
/** A producer's token (publishes events) and an administrator's. */
export const SERVICE_TOKEN = token(['SERVICE'], 'bench-console');
export const ADMIN_TOKEN = token(['ADMIN'], 'bench-admin');

export async function gql(url: string, query: string, variables: object, bearer: string): Promise<any> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';

/** How a benchmark hands Herald an event over HTTP: the `publishJobEvent` mutation, or `POST /events`. */
export type HeraldIngress = 'graphql' | 'http';

/** An ingress as BENCH_HERALD_INGRESS (or BENCH_AB_INGRESS) names it. */
export function parseIngress(value: string, variable = 'BENCH_HERALD_INGRESS'): HeraldIngress {
  if (value !== 'graphql' && value !== 'http') throw new Error(`${variable} must be graphql or http, not ${value}`);
  return value;
}

/** What each ingress is, for a report's method line. */
export const INGRESS_LABEL: Record<HeraldIngress, string> = { graphql: 'GraphQL publishJobEvent', http: 'POST /events' };

/** Publishes one event as `POST /events`, as curl or the peer's producers would; resolves once Herald has planned it. */
async function postEvent(url: string, e: JobEvent): Promise<void> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_TOKEN}` },
    body: JSON.stringify(e),
  });
  if (res.status !== 202) throw new Error(`Herald answered POST /events with ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Publishes one event over `ingress` (GraphQL's `publishJobEvent` by default); resolves once Herald has planned it. */
export const publish = (url: string, e: JobEvent, ingress: HeraldIngress = 'graphql'): Promise<unknown> =>
  ingress === 'http' ? postEvent(url, e) : gql(url, PUBLISH, { input: e }, SERVICE_TOKEN);

/** A language and time zone a benchmark gives its managers, in turn. */
export interface Reader {
  locale: string;
  timeZone: string | null;
}

/**
 * Writes an application with `managers` managers straight into Herald's database (fast, for
 * big fixtures); with `readers`, manager i reads mails as readers[i % readers.length].
 */
export async function seedManagers(herald: HeraldProcess, applicationId: string, managers: number, readers?: Reader[]): Promise<void> {
  const { DATABASE_URL: url, DATABASE_SCHEMA: schema } = herald.env;
  const db: DatabaseConfig = url ? { type: 'postgres', url, schema } : { type: 'sqlite', path: join(herald.dataDir, 'herald.sqlite') };
  const ds = await new DataSource({ ...dataSourceOptions(db), entities: [UserEntity, ApplicationEntity, MembershipEntity, PreferenceEntity] } as DataSourceOptions).initialize();
  try {
    await ds.getRepository(ApplicationEntity).insert({ externalId: applicationId, name: `Application ${applicationId}` });
    const app = await ds.getRepository(ApplicationEntity).findOneByOrFail({ externalId: applicationId });
    const users = managersOf(applicationId, managers).map((u, i) => (readers ? { ...u, ...readers[i % readers.length] } : u));
    const people = users.map((u) => ({ ...u, emailKey: u.email ? addressKey(u.email) : null })); // as Herald writes a person
    for (let i = 0; i < people.length; i += 500) await ds.getRepository(UserEntity).insert(people.slice(i, i + 500));
    const ids = (await ds.getRepository(UserEntity).createQueryBuilder('u').select('u.id', 'id').where('u.external_id LIKE :p', { p: `${applicationId}-u%` }).getRawMany<{ id: number }>()).map((r) => r.id);
    const rows = ids.map((userId) => ({ applicationId: app.id, userId, role: MembershipRole.MANAGE }));
    for (let i = 0; i < rows.length; i += 500) await ds.getRepository(MembershipEntity).insert(rows.slice(i, i + 500));
  } finally {
    await ds.destroy();
  }
}
