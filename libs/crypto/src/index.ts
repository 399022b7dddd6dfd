export * from './secret-cipher';
export * from './secret-key-source';
