import { DataSource } from 'typeorm';
import { managersOf } from '../support/job-events';
import { PEER_ENTITIES, PeerApplication, PeerMembership, PeerUser } from './stack/entities';

/**
 * Creates the peer stack's SQLite database at `path` with the same people as
 * Herald's run: for each application, `managers` managers with an email and
 * notifications on (bench/support/job-events.ts `managersOf`).
 */
export async function createPeerDatabase(path: string, applications: Record<string, number>): Promise<void> {
  const ds = await new DataSource({ type: 'better-sqlite3', database: path, entities: PEER_ENTITIES, synchronize: true }).initialize();
  try {
    for (const [externalId, managers] of Object.entries(applications)) {
      const app = await ds.getRepository(PeerApplication).save({ externalId, name: `Application ${externalId}` });
      const users = managersOf(externalId, managers);
      for (let i = 0; i < users.length; i += 500) await ds.getRepository(PeerUser).insert(users.slice(i, i + 500));
      const ids = await ds.getRepository(PeerUser).createQueryBuilder('u').select('u.id', 'id').where('u.external_id LIKE :p', { p: `${externalId}-u%` }).getRawMany<{ id: number }>();
      const memberships = ids.map(({ id }) => ({ applicationId: app.id, role: 'MANAGE' as const, userId: id }));
      for (let i = 0; i < memberships.length; i += 500) await ds.getRepository(PeerMembership).insert(memberships.slice(i, i + 500));
    }
  } finally {
    await ds.destroy();
  }
}
