import { InitialSchema1764000000000 } from './1764000000000-initial-schema';

/** Every migration, in order. New ones are appended here (the CLI and the app use this list). */
export const MIGRATIONS = [InitialSchema1764000000000];
