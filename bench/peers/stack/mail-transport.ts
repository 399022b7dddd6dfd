import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { PeerConfig } from './peer-config';

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/**
 * One pooled nodemailer transport for the process, as nodemailer's documentation
 * suggests for many messages: `pool: true`, a few connections kept open
 * (`maxConnections`), each reused for many messages (`maxMessages`, as Herald and
 * the bare loop). Plain nodemailer rather than @nestjs-modules/mailer: the
 * wrapper adds nothing this stack uses (it renders with Herald's renderer) and
 * 40-odd MB of modules.
 */
export const mailTransportProvider = {
  provide: MAIL_TRANSPORT,
  inject: [PeerConfig],
  useFactory: (config: PeerConfig): Transporter<SMTPPool.SentMessageInfo> =>
    createTransport({
      host: config.smtp.host,
      port: config.smtp.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: config.smtp.poolSize,
      maxMessages: 1000,
    }),
};
