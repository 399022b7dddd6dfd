import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, MAIL_UID } from './dovecot';

const POSTFIX = '/usr/sbin/postfix';

function postfixUid(): number | null {
  try {
    return Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

/** Instances this test process started (their config directories): stopped when it exits, even if a suite could not. */
const running = new Set<string>();
process.once('exit', () => {
  for (const etc of running) {
    try {
      execFileSync(POSTFIX, ['-c', etc, 'stop'], { stdio: 'pipe' });
    } catch {
      // stopped already
    }
  }
});

/** Postfix from Debian, run as root (its master starts as root and drops to the postfix user). */
export const POSTFIX_AVAILABLE = existsSync(POSTFIX) && process.getuid?.() === 0 && postfixUid() !== null;
export const NEEDS_POSTFIX = 'Postfix (the postfix package, as root)';

export interface PostfixOptions {
  /** Mail for this domain is local: an unknown user there is bounced by local(8) (a real DSN). */
  localDomain: string;
  /** Mail for this domain goes to one Maildir (`maildir`): where the reports for Herald's sender land. */
  reportDomain: string;
  maildir: string;
  /** Other domains, each sent on to an SMTP server on a loopback port. */
  routes?: Record<string, number>;
}

/**
 * A real MTA for a suite: a Postfix instance of its own in a temporary folder
 * (config_directory, queue and data directories), SMTP on a free loopback port —
 * never port 25, and nothing of /etc/postfix used. Herald relays through it; it
 * bounces unknown local users with its own DSNs, delivered to the Maildir the
 * suite's Dovecot serves as Herald's sender mailbox.
 */
export class Postfix {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(options: PostfixOptions): Promise<Postfix> {
    const dir = mkdtempSync(join(tmpdir(), 'herald-postfix-'));
    chmodSync(dir, 0o755); // Postfix's own processes (the postfix user) reach their queue through it
    const port = await freePort();
    const postfix = new Postfix(dir, port);
    postfix.configure(options);
    execFileSync(POSTFIX, ['-c', join(dir, 'etc'), 'start'], { stdio: 'pipe' });
    running.add(join(dir, 'etc'));
    const deadline = Date.now() + 15_000;
    while (!postfix.log().includes('daemon started')) {
      if (Date.now() > deadline) throw new Error(`postfix did not start: ${postfix.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return postfix;
  }

  log(): string {
    const file = join(this.dir, 'maillog');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async close(): Promise<void> {
    running.delete(join(this.dir, 'etc'));
    try {
      execFileSync(POSTFIX, ['-c', join(this.dir, 'etc'), 'stop'], { stdio: 'pipe' });
    } catch {
      // not running
    }
    const deadline = Date.now() + 10_000;
    while (existsSync(join(this.dir, 'spool', 'pid', 'master.pid')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private configure(options: PostfixOptions): void {
    const uid = postfixUid()!;
    for (const sub of ['etc', 'spool']) mkdirSync(join(this.dir, sub), { recursive: true });
    mkdirSync(join(this.dir, 'data'));
    chownSync(join(this.dir, 'data'), uid, uid);
    if (!existsSync(options.maildir)) mkdirSync(options.maildir, { recursive: true });
    chownSync(options.maildir, MAIL_UID, MAIL_UID);
    const routes = Object.entries(options.routes ?? {}).map(([domain, port]) => `${domain}=smtp:[127.0.0.1]:${port}`);
    writeFileSync(
      join(this.dir, 'etc', 'main.cf'),
      `# Herald's test MTA: nothing of /etc/postfix is read.
compatibility_level = 3.6
myhostname = mx.${options.localDomain}
mydomain = ${options.localDomain}
myorigin = ${options.localDomain}
mydestination = localhost, ${options.localDomain}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = ${this.dir}/spool
data_directory = ${this.dir}/data
maillog_file = ${this.dir}/maillog
maillog_file_prefixes = ${this.dir}
mail_owner = postfix
setgid_group = postdrop
# An unknown local user is accepted, then bounced by local(8): a DSN, not a refusal at RCPT TO.
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = ${options.reportDomain}
virtual_mailbox_base = /
virtual_mailbox_maps = static:${options.maildir.replace(/\/?$/, '/')}
virtual_uid_maps = static:${MAIL_UID}
virtual_gid_maps = static:${MAIL_UID}
virtual_minimum_uid = 1
transport_maps = inline:{ ${routes.join(', ')} }
default_transport = error:no mail leaves this test instance
smtp_tls_security_level = none
smtputf8_enable = no
biff = no
`,
    );
    // Debian's master.cf, services as they are, none chrooted (the queue is here, not under /var/spool/postfix).
    writeFileSync(
      join(this.dir, 'etc', 'master.cf'),
      `127.0.0.1:${this.port} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
smtp      unix  - - n -     - smtp
local     unix  - n n -     - local
virtual   unix  - n n -     - virtual
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`,
    );
  }
}
