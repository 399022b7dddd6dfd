import { Injectable } from '@nestjs/common';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { HeraldConfig } from '../../config/herald-config';
import type { RelayLogin } from '../relay-login';
import { poolWorkerScript, ThreadedPool } from './threaded-pool';

/**
 * Whether the relays' pools send from worker threads (RELAY_THREAD), and makes
 * them: one thread per pool (per generation of a relay's settings), for its encoded mails.
 */
@Injectable()
export class SmtpThreads {
  private readonly enabled: boolean;

  constructor(config: HeraldConfig) {
    this.enabled = config.relay.thread;
    if (this.enabled) poolWorkerScript(); // a build without the thread's script fails at start, not at the first mail
  }

  /** A pool in its own thread for these options and login; undefined: the pool stays on the main thread. */
  pool(options: SMTPPool.Options, login: RelayLogin): ThreadedPool | undefined {
    return this.enabled ? new ThreadedPool(options, login) : undefined;
  }
}
