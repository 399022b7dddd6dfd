/**
 * GraphQL under load: requests/s and p99 of `smtpSettings` and `me` on Herald,
 * against a bare @apollo/server answering the same query from memory, in the same
 * run. Servers run in child processes; autocannon drives them from this process.
 *
 *   npm run bench:graphql            (BENCH_SECONDS=10 BENCH_CONNECTIONS=32 by default)
 *   HERALD_BENCH_DATABASE_URL=postgres://…   also with Herald on PostgreSQL
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { JwtService } from '@nestjs/jwt';
import { BENCH_JWT_SECRET, HeraldProcess } from './support/herald-process';
import { machine, table } from './support/report';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const QUERIES: Record<string, string> = {
  smtpSettings: '{ smtpSettings { host port sender username passwordSet security authEnabled gatewayUri configured } }',
  me: '{ me { id displayName email notificationsEnabled locale } }',
};

interface Load {
  rps: number;
  p99: number;
  errors: number;
}

async function load(url: string, query: string, token?: string): Promise<Load> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function startBare(port: number): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'support', 'bare-apollo-server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function main() {
  const databases: { name: string; env: Record<string, string> }[] = [{ name: 'SQLite', env: {} }];
  const url = process.env.HERALD_BENCH_DATABASE_URL;
  if (url) databases.push({ name: 'PostgreSQL', env: { DATABASE_URL: url, DATABASE_SCHEMA: `herald_bench_gql_${process.pid}`, HERALD_SECRET_KEY: 'b'.repeat(64) } });
  const rows: Record<string, string | number>[] = [];
  for (const db of databases) rows.push(...(await measure(db.name, db.env)));
  console.log(`\nGraphQL, ${CONNECTIONS} connections, ${SECONDS} s per run, best of ${ROUNDS} — ${machine()}\n`);
  console.log(table(rows));
}

async function measure(database: string, env: Record<string, string>): Promise<Record<string, string | number>[]> {
  // Herald refuses a token without exp, or lasting longer than JWT_MAX_LIFETIME (24h by default).
  const token = new JwtService({ secret: BENCH_JWT_SECRET }).sign({ roles: ['ADMIN'] }, { subject: 'bench-admin', expiresIn: '12h' });
  const herald = await HeraldProcess.start({ ...env, SMTP_HOST: 'smtp.example.com', SMTP_SENDER: 'Herald <herald@example.com>', SMTP_USERNAME: 'herald', SMTP_PASSWORD: 'x' });
  const bare = await startBare(38000 + Math.floor(Math.random() * 1000));
  const rows = [];
  try {
    for (const [name, query] of Object.entries(QUERIES)) {
      // Warm up both, then alternate so drift on a noisy machine hits both alike.
      const probe = await (await fetch(`${herald.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) })).json() as { errors?: { message: string }[] };
      if (probe.errors) {
        console.error(`skipping ${name}: ${probe.errors[0].message}`);
        continue;
      }
      const h: Load[] = [];
      const b: Load[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        h.push(await load(herald.url, query, token));
        b.push(await load(bare.url, query));
      }
      const best = (xs: Load[]) => xs.reduce((a, x) => (x.rps > a.rps ? x : a));
      const hb = best(h);
      const bb = best(b);
      rows.push({
        database,
        query: name,
        'Herald req/s': Math.round(hb.rps),
        'Herald p99 ms': hb.p99,
        'bare Apollo req/s': Math.round(bb.rps),
        'bare p99 ms': bb.p99,
        'ratio (req/s)': (hb.rps / bb.rps).toFixed(2),
        errors: hb.errors + bb.errors,
      });
    }
  } finally {
    bare.stop();
    await herald.stop();
  }
  return rows;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
