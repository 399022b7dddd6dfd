import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { TEST_DATABASE_URL, type HeraldTestApp } from './herald-test-app';

/** What ends an outage. */
export interface Outage {
  end(): Promise<void>;
}

/**
 * The disk is full, for this app only:
 * - SQLite: max_page_count at the file's size and its free pages used up — a write
 *   that needs a new page (a large event: its log excerpt needs overflow pages)
 *   fails with SQLITE_FULL;
 * - PostgreSQL: every table of the app's schema refuses writes with SQLSTATE 53100
 *   (disk_full), what the server answers when it cannot extend a file. The other
 *   users of the shared server see nothing.
 */
export async function fillDisk(app: HeraldTestApp): Promise<Outage> {
  const dataSource = app.app.get(DataSource);
  if (app.config.database.type === 'sqlite') {
    // Pages freed earlier (the write probe's row, deleted) would still take a write: used up.
    await dataSource.query('CREATE TABLE herald_test_filler (b BLOB)');
    const [row] = await dataSource.query('PRAGMA page_count');
    await dataSource.query(`PRAGMA max_page_count = ${Number(Object.values(row)[0])}`);
    for (let i = 0; i < 100_000; i++) {
      try {
        await dataSource.query('INSERT INTO herald_test_filler VALUES (zeroblob(3000))');
      } catch (error) {
        if ((error as { driverError?: { code?: string } }).driverError?.code === 'SQLITE_FULL') break;
        throw error;
      }
    }
    return {
      end: async () => {
        await dataSource.query('PRAGMA max_page_count = 1073741823');
        await dataSource.query('DROP TABLE herald_test_filler');
      },
    };
  }
  const schema = app.storage.schema;
  await dataSource.query(`
    CREATE FUNCTION "${schema}".herald_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
    END $$;
    DO $$
    DECLARE t text;
    BEGIN
      FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' LOOP
        EXECUTE format('CREATE TRIGGER herald_test_disk_full BEFORE INSERT OR UPDATE OR DELETE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.herald_test_disk_full()', '${schema}', t, '${schema}');
      END LOOP;
    END $$;`);
  return { end: async () => void (await dataSource.query(`DROP FUNCTION "${schema}".herald_test_disk_full() CASCADE`)) };
}

/**
 * Between an app and PostgreSQL: a TCP proxy that can go down like a restarting
 * server — every connection cut, new ones closed at once — and come back. Only the
 * app behind it is affected, not the other users of the shared server.
 */
export class DatabaseProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private down = false;

  private constructor(
    private readonly server: Server,
    /** DATABASE_URL for the app: the test database, through the proxy. */
    readonly url: string,
  ) {}

  static async start(): Promise<DatabaseProxy> {
    const target = new URL(TEST_DATABASE_URL!);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(TEST_DATABASE_URL!);
    url.hostname = '127.0.0.1';
    url.port = String((server.address() as AddressInfo).port);
    const proxy = new DatabaseProxy(server, url.toString());
    server.on('connection', (client) => proxy.accept(client, target.hostname, Number(target.port || 5432)));
    return proxy;
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.down) return void client.destroy();
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    for (const socket of pair) socket.on('error', cut).on('close', cut);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The server "restarts": what is connected is cut, what connects is closed, until the outage ends. */
  goDown(): Outage {
    this.down = true;
    for (const [client, upstream] of this.pairs) (client.destroy(), upstream.destroy());
    this.pairs.clear();
    return { end: async () => void (this.down = false) };
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) (client.destroy(), upstream.destroy());
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A second connection to an SQLite file (better-sqlite3's own API; it has no type declarations installed). */
interface SqliteConnection {
  pragma(sql: string): unknown;
  exec(sql: string): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const openSqlite = (path: string): SqliteConnection => new (require('better-sqlite3') as new (path: string) => SqliteConnection)(path);

/**
 * The database goes away:
 * - PostgreSQL: the proxy the app was started behind goes down (connections cut,
 *   new ones closed at once, as while a server restarts);
 * - SQLite (a file has no restart): another connection holds the write lock, so
 *   every write gives up after the busy timeout with SQLITE_BUSY. Reads go on.
 */
export function goAway(app: HeraldTestApp, proxy: DatabaseProxy | undefined): Outage {
  const database = app.config.database;
  if (database.type === 'postgres') return proxy!.goDown();
  const other = openSqlite(database.path);
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN IMMEDIATE');
  return { end: async () => (other.exec('COMMIT'), other.close()) };
}
