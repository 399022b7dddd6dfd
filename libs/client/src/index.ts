export * from './herald-publisher';
export { PublishFailedError } from './graphql-transport';
export * from './retry';
export * from './herald-client.module';
export * from '@herald/contracts';
