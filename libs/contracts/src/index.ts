export * from './job-event-type';
export * from './job-event';
export * from './parse-job-event';
export * from './text-rules';
// address-rules.ts (email addresses, parsed with nodemailer's parser) is imported by path by
// Herald's inputs: the wire format has no address, and producers need not install nodemailer.
