import { Injectable } from '@nestjs/common';
import nodemailer from 'nodemailer';
import { HeraldConfig } from '../config/herald-config';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import type { SentMail } from './live-transport';

/** A plain-text mail for the fallback relay (the admins' outage mail). */
export interface FallbackMail {
  to: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
  /** The Date header: Herald's Clock (nodemailer would take the wall clock). */
  date: Date;
}

/** The fallback relay as the rest of Herald sees it: where it is (no credentials) and sending through it. */
export interface AlertRelay {
  /** host:port, for logs and mails: never the URL, which holds the password. */
  readonly name: string;
  send(mail: FallbackMail): Promise<SentMail>;
}

/** Timers of one fallback send: a relay that hangs must not hold the alert for ever. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * A second relay, for the admins' outage mail only (ALERT_SMTP_URL): when the main
 * relay is down, the alert cannot go through it. One connection per mail (outages
 * are rare), not pooled, no circuit, no quota; nothing else is ever sent through it.
 * The URL's password is never logged or answered (`name` is host:port).
 */
@Injectable()
export class FallbackRelay {
  private readonly relay?: AlertRelay;

  constructor(
    config: HeraldConfig,
    private readonly settings: SmtpSettingsService,
  ) {
    const fallback = config.alerts.fallbackRelay;
    if (!fallback) return;
    const url = new URL(fallback.url);
    const name = `${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
    this.relay = { name, send: (mail) => this.send(fallback, mail) };
  }

  /** The fallback relay, or undefined when ALERT_SMTP_URL is not set. */
  get(): AlertRelay | undefined {
    return this.relay;
  }

  private async send(fallback: { url: string; from?: string }, mail: FallbackMail): Promise<SentMail> {
    const from = fallback.from ?? (await this.settings.get()).sender;
    if (!from) throw new Error('no sender for the fallback relay: set ALERT_SMTP_FROM (or the main relay\'s sender)');
    const transport = nodemailer.createTransport({ url: fallback.url, ...TIMEOUTS } as never); // nodemailer's types omit `url`, which it reads
    try {
      const info = await transport.sendMail({ from, ...mail });
      return { messageId: info.messageId ?? '', response: info.response ?? '', accepted: (info.accepted ?? []).map(String) };
    } finally {
      transport.close();
    }
  }
}
