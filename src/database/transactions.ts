import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Where every transaction — and every write that must not land inside someone
 * else's — is run.
 *
 * On PostgreSQL each transaction takes a connection of its own from the pool. On
 * SQLite TypeORM hands every caller the same connection: two transactions whose
 * awaits interleave would share it ("cannot start a transaction within a
 * transaction", or one's statements committed or rolled back with the other's).
 * There they run one after the other, queued here — SQLite has one writer anyway.
 */
@Injectable()
export class Transactions {
  /** SQLite: one connection for everything, so writes queue. */
  private readonly serialized: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type !== 'postgres';
  }

  /** Runs `work` in a transaction: committed if it resolves, rolled back if it throws. */
  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.dataSource.transaction(work));
  }

  /**
   * Runs a write outside a transaction (one statement, atomic by itself) so that,
   * on SQLite, it cannot become part of a transaction that is open at that moment.
   * Never call run() or exclusive() from inside `work`: it would wait for itself.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (!this.serialized) return work();
    const result = this.tail.then(work, work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
