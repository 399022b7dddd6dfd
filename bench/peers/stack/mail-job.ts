import type { JobEvent } from '@herald/contracts';

export const MAIL_QUEUE = 'mail';

/** One job per recipient: the event itself and whom to send it to. */
export interface MailJob {
  event: JobEvent;
  to: { id: number; address: string; name: string | null };
}
