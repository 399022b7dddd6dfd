export * from './job-event-type';
export * from './job-event';
export * from './parse-job-event';
