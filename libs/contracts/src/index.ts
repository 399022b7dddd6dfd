export * from './job-event-type';
export * from './job-event';
export * from './parse-job-event';
export * from './text-rules';
export * from './time-rules';
// address-rules.ts (email addresses, parsed with nodemailer's parser, a dependency of this
// package) is also imported by path by Herald's inputs; the wire format uses it for managers' addresses.
