import { createTransport } from 'nodemailer';
import type { JobEvent } from '@herald/contracts';
import { MailRenderer } from '../../src/notifications/rendering/mail-renderer';

export interface PreparedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

/**
 * The baseline: a bare nodemailer pool sending already-rendered messages as fast
 * as it can, with the same pool size Herald uses — what the relay could take
 * from any Node.js sender on this machine.
 */
export async function bareNodemailerLoop(port: number, mails: PreparedMail[], poolSize: number, concurrency = poolSize * 4): Promise<{ rate: number; cpuMsPerMail: number }> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: poolSize, maxMessages: 1000 });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < mails.length) await transport.sendMail(mails[next++]);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  transport.close();
  return { rate: mails.length / seconds, cpuMsPerMail: (used.user + used.system) / 1000 / mails.length };
}

/** What the bare loop is handed: each event rendered by Herald's renderer, once per recipient. */
export function preparedMails(events: JobEvent[], recipients: number): PreparedMail[] {
  const renderer = new MailRenderer();
  return events.flatMap((e) => {
    const m = renderer.render(e, { gatewayUri: 'https://console.example.com' });
    return Array.from({ length: recipients }, (_, i) => ({ from: 'Herald <herald@bench.example.com>', to: `u${i}@bench.example.com`, ...m, headers: { 'Auto-Submitted': 'auto-generated' } }));
  });
}
