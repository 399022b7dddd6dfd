import { Identifier } from '@herald/contracts';

/** An id of the console: 1–255 characters, no white space or control characters. */
export const ExternalId = (): PropertyDecorator => Identifier({ maxLength: 255 });
