/**
 * Statements of one transaction asked for together: on PostgreSQL's pipelined
 * connection they share a round trip. Unlike Promise.all, a failure is thrown only
 * once every statement has settled, so that none of the transaction's work is still
 * running when the caller rolls it back and hands its connection on.
 */
export async function together<T extends readonly unknown[] | []>(statements: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled: PromiseSettledResult<unknown>[] = await Promise.allSettled(statements as readonly unknown[]);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
