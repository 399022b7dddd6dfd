import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';

const DOVECOT = '/usr/sbin/dovecot';

/** Dovecot from Debian (dovecot-imapd; .ci/run installs it), run as root: it switches to the mail user itself. */
export const DOVECOT_AVAILABLE = existsSync(DOVECOT) && process.getuid?.() === 0;
export const NEEDS_DOVECOT = 'Dovecot (dovecot-imapd, as root; .ci/run installs it)';

/** The mail user's uid and gid (nobody / nogroup): the maildirs belong to it. */
export const MAIL_UID = 65534;

/** Servers this test process started: stopped when it exits, even if a suite could not stop them (a worker ended early). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface MailMessage {
  uid: number;
  subject: string | null;
  flags: Set<string>;
  raw: Buffer;
}

/**
 * A real IMAP server for a suite: Dovecot started in a temporary folder on free
 * loopback ports (IMAP with STARTTLS, and IMAPS, the test certificate), with its
 * own configuration only (no system config), users from a passwd-file, Maildir
 * mailboxes; stopped (and its folder removed) at the end. The suite talks to it
 * with imapflow to put reports in and look at what Herald left.
 */
export class Dovecot {
  private child?: ChildProcess;
  private readonly users = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    private readonly maildirs: Record<string, string>,
    private readonly oauth2IntrospectionUrl?: string,
  ) {}

  /**
   * `users`: address → password. `maildirs`: a user's Maildir elsewhere (a Postfix
   * instance delivers there). `oauth2IntrospectionUrl`: XOAUTH2 and OAUTHBEARER are
   * offered too, each bearer token checked there (RFC 7662; Dovecot's oauth2 passdb).
   */
  static async start(users: Record<string, string>, options: { maildirs?: Record<string, string>; oauth2IntrospectionUrl?: string } = {}): Promise<Dovecot> {
    const dir = mkdtempSync(join(tmpdir(), 'herald-dovecot-'));
    chmodSync(dir, 0o755); // the mail user reaches its Maildir through it
    const dovecot = new Dovecot(dir, await freePort(), await freePort(), options.maildirs ?? {}, options.oauth2IntrospectionUrl);
    for (const [user, password] of Object.entries(users)) dovecot.users.set(user, password);
    dovecot.configure();
    await dovecot.run();
    return dovecot;
  }

  /** The Maildir of a user (created, owned by the mail user). */
  maildir(user: string): string {
    return this.maildirs[user] ?? join(this.dir, 'mail', user);
  }

  /** Changes a user's password (Dovecot reads the passwd-file again when it changes). */
  setPassword(user: string, password: string): void {
    this.users.set(user, password);
    this.writeUsers();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    running.delete(child);
  }

  /** Starts again on the same ports, after stop(). */
  async restart(): Promise<void> {
    await this.run();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A connected imapflow client of `user` (plain IMAP on loopback). Log out when done. */
  async client(user: string): Promise<ImapFlow> {
    const { ImapFlow } = require('imapflow') as typeof import('imapflow');
    const client = new ImapFlow({ host: '127.0.0.1', port: this.port, secure: false, doSTARTTLS: false, auth: { user, pass: this.users.get(user)! }, logger: false });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Puts a mail in a folder of `user`, as a delivery would (unread). */
  async append(user: string, raw: Buffer, folder = 'INBOX'): Promise<void> {
    const client = await this.client(user);
    try {
      await client.append(folder, raw, []);
    } finally {
      await client.logout();
    }
  }

  /**
   * The messages of a folder (none when it does not exist), without marking them
   * read. Herald may be moving some meanwhile (the server then refuses a FETCH of
   * what it just expunged): asked again.
   */
  async messages(user: string, folder = 'INBOX'): Promise<MailMessage[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fetchAll(user, folder);
      } catch (error) {
        if (attempt === 5) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async fetchAll(user: string, folder: string): Promise<MailMessage[]> {
    const client = await this.client(user);
    try {
      const list = await client.list();
      const path = list.find((m) => m.path === folder || m.path === folder.split('/').join(m.delimiter))?.path;
      if (!path) return [];
      const lock = await client.getMailboxLock(path);
      try {
        if (client.mailbox && client.mailbox.exists === 0) return [];
        const found: MailMessage[] = [];
        for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true, source: true })) {
          found.push({ uid: m.uid, subject: m.envelope?.subject ?? null, flags: m.flags ?? new Set(), raw: m.source! });
        }
        return found;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  /** What Dovecot logged (for a failing test's message). */
  log(): string {
    const file = join(this.dir, 'dovecot.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  private configure(): void {
    const fixtures = join(__dirname, '..', 'fixtures', 'tls');
    copyFileSync(join(fixtures, 'relay.crt'), join(this.dir, 'tls.crt'));
    copyFileSync(join(fixtures, 'relay.key'), join(this.dir, 'tls.key'));
    for (const sub of ['run', 'state', 'home', 'mail']) mkdirSync(join(this.dir, sub), { recursive: true });
    chownSync(join(this.dir, 'mail'), MAIL_UID, MAIL_UID);
    for (const user of this.users.keys()) {
      const home = join(this.dir, 'home', user);
      mkdirSync(home, { recursive: true });
      chownSync(home, MAIL_UID, MAIL_UID);
    }
    this.writeUsers();
    const oauth2 = this.oauth2IntrospectionUrl
      ? (writeFileSync(
          join(this.dir, 'oauth2.conf.ext'),
          `introspection_mode = post\nintrospection_url = ${this.oauth2IntrospectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`,
        ),
        `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${this.dir}/oauth2.conf.ext\n}\n`)
      : '';
    writeFileSync(
      join(this.dir, 'dovecot.conf'),
      `# Herald's test IMAP server: nothing of /etc/dovecot is read.
base_dir = ${this.dir}/run
state_dir = ${this.dir}/state
log_path = ${this.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${this.dir}/tls.crt
ssl_key = <${this.dir}/tls.key
disable_plaintext_auth = no
auth_mechanisms = plain login${oauth2 ? ' xoauth2 oauthbearer' : ''}
first_valid_uid = 1
mail_location = maildir:~/Maildir
${oauth2}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${this.dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${this.dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${this.tlsPort}
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
`,
    );
  }

  /** user:{PLAIN}password:uid:gid::home::userdb_mail=maildir:<its Maildir> */
  private writeUsers(): void {
    const lines = [...this.users].map(([user, password]) => {
      const maildir = this.maildir(user);
      if (!existsSync(maildir)) {
        mkdirSync(maildir, { recursive: true });
        chownSync(maildir, MAIL_UID, MAIL_UID);
      }
      return `${user}:{PLAIN}${password}:${MAIL_UID}:${MAIL_UID}::${join(this.dir, 'home', user)}::userdb_mail=maildir:${maildir}`;
    });
    writeFileSync(join(this.dir, 'users'), `${lines.join('\n')}\n`);
  }

  private async run(): Promise<void> {
    const child = spawn(DOVECOT, ['-F', '-c', join(this.dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    this.child = child;
    running.add(child);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${output}\n${this.log()}`);
      if (await listening(this.port)) return;
      if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${this.port}: ${output}\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
