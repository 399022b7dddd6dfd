import type { Socket } from 'node:net';
import type { EntityManager } from 'typeorm';

/**
 * Runs `work` and counts its round trips on the PostgreSQL connection of `manager`'s
 * transaction: each time statements are sent after an answer has come (or first).
 * Statements sent together, before any answer, are one round trip.
 */
export async function roundTrips<T>(manager: EntityManager, work: () => Promise<T>): Promise<{ result: T; trips: number }> {
  const socket = (manager.queryRunner as unknown as { databaseConnection: { connection: { stream: Socket } } }).databaseConnection.connection.stream;
  let trips = 0;
  let answered = true;
  const write = socket.write;
  socket.write = ((...args: Parameters<Socket['write']>) => {
    if (answered) trips++;
    answered = false;
    return write.apply(socket, args);
  }) as Socket['write'];
  const answer = () => (answered = true);
  socket.on('data', answer);
  try {
    return { result: await work(), trips };
  } finally {
    socket.write = write;
    socket.off('data', answer);
  }
}
