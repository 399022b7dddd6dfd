export * from './job-event-type';
