import type { EntityManager } from 'typeorm';
import { isUniqueViolation } from '../../../../database/database-errors';
import type { Transactions } from '../../../../database/transactions';
import type { DatabaseTemplateSource } from './database-template-source';

/** How many times an admin's change is tried when other processes keep writing the same version meanwhile. */
const TRIES = 3;

/**
 * Writes an admin's change to what the template source reads (a template version,
 * the branding) with its audit entry, in one transaction, then has the source read it
 * at once: the next mail of this process uses it. Tried again when another process
 * wrote the same version or revision meanwhile (a unique violation), TRIES times in
 * all. Answers what `write` answered: undefined when nothing changed (nothing re-read).
 */
export async function writeAdminChange<T>(transactions: Transactions, source: DatabaseTemplateSource, write: (manager: EntityManager) => Promise<T | undefined>): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const written = await transactions.run(write);
      if (written !== undefined) await source.reload();
      return written;
    } catch (error) {
      if (attempt >= TRIES || !isUniqueViolation(error)) throw error;
    }
  }
}
