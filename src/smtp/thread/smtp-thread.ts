/** Whether the SMTP pool runs in a worker thread (HERALD_SMTP_THREAD=1): an experiment, off by default. */
export function smtpThread(): boolean {
  return process.env.HERALD_SMTP_THREAD === '1';
}
