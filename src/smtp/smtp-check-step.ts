// Apart from their GraphQL registration (smtp-check-result.model.ts): the SMTP pool's worker
// thread (thread/) records steps without loading GraphQL.

/** The steps of talking to a relay (or to Microsoft Graph: TOKEN, MAILBOX, SEND), in order. */
export enum SmtpCheckStep {
  RESOLVE = 'RESOLVE',
  CONNECT = 'CONNECT',
  GREETING = 'GREETING',
  TLS = 'TLS',
  /** OAuth2 only: an access token from the token endpoint. */
  TOKEN = 'TOKEN',
  AUTH = 'AUTH',
  /** Microsoft Graph only: the sender's mailbox exists and the app may send as it. */
  MAILBOX = 'MAILBOX',
  SEND = 'SEND',
}
export enum SmtpCheckStatus {
  OK = 'OK',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
