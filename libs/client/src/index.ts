export * from './herald-publisher';
export * from './herald-client.module';
export * from '@herald/contracts';
