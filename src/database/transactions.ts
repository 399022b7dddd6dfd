import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DatabaseHealth } from './database-health';

/** What TypeORM's single SQLite query runner keeps about the transaction it believes is open. */
interface TransactionBookkeeping {
  isTransactionActive: boolean;
  transactionDepth: number;
}

/** better-sqlite3's connection: it knows whether a transaction is really open. */
interface SqliteConnection {
  readonly inTransaction: boolean;
  exec(sql: string): unknown;
}

/**
 * Where every transaction — and every write that must not land inside someone
 * else's — is run.
 *
 * On PostgreSQL each transaction takes a connection of its own from the pool. On
 * SQLite TypeORM hands every caller the same connection: two transactions whose
 * awaits interleave would share it ("cannot start a transaction within a
 * transaction", or one's statements committed or rolled back with the other's).
 * There they run one after the other, queued here — SQLite has one writer anyway.
 *
 * And there, after each piece of work, the connection's real state is checked
 * rather than assumed. When a COMMIT or a statement fails because the disk is
 * full, SQLite may roll the whole transaction back by itself; TypeORM's ROLLBACK
 * then fails and its bookkeeping stays "in a transaction", so the next
 * transaction would become a SAVEPOINT whose failure leaves a transaction open
 * that nothing ever commits — acknowledged events lost. Here no transaction
 * outlives the work that opened it, and TypeORM's bookkeeping is put back in
 * line with the connection.
 *
 * What must happen only once a transaction's writes are visible — telling others
 * about them — is registered with `afterCommit` and runs after the commit, or not
 * at all if the transaction rolls back (Vendure's event bus does the same).
 */
@Injectable()
export class Transactions {
  private readonly logger = new Logger('Database');
  /** SQLite: one connection for everything, so writes queue. */
  private readonly serialized: boolean;
  private tail: Promise<unknown> = Promise.resolve();
  /** What each open transaction (by its manager) runs once it has committed. */
  private readonly committed = new WeakMap<EntityManager, Array<() => void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly health: DatabaseHealth,
  ) {
    this.serialized = dataSource.options.type !== 'postgres';
  }

  /** Runs `work` in a transaction: committed if it resolves, rolled back if it throws. */
  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const after: Array<() => void> = [];
      const result = await this.dataSource.transaction((manager) => {
        this.committed.set(manager, after);
        return work(manager);
      });
      for (const task of after) {
        try {
          task();
        } catch (error) {
          this.logger.error(`a task after a commit failed: ${(error as Error).message}`);
        }
      }
      return result;
    });
  }

  /**
   * Runs `task` once the transaction of `manager` (one given by run()) has
   * committed; never if it rolls back. Tasks run in the order registered, before
   * run() resolves; they must not wait for the database themselves (start the
   * work and return).
   */
  afterCommit(manager: EntityManager, task: () => void): void {
    const after = this.committed.get(manager);
    if (!after) throw new Error('afterCommit: this manager is not in a transaction begun by Transactions.run');
    after.push(task);
  }

  /**
   * Runs a write outside a transaction (one statement, atomic by itself) so that,
   * on SQLite, it cannot become part of a transaction that is open at that moment.
   * Never call run() or exclusive() from inside `work`: it would wait for itself.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (!this.serialized) return this.observed(work);
    const turn = () => this.observed(work).finally(() => this.settle());
    const result = this.tail.then(turn, turn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Tells DatabaseHealth of failed writes: a full disk is seen at its first failure. */
  private async observed<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.health.writeFailed(error);
      throw error;
    }
  }

  /** SQLite, between two pieces of work: no transaction open, and TypeORM agreeing. */
  private settle(): void {
    const connection = (this.dataSource.driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
    if (connection?.inTransaction) {
      connection.exec('ROLLBACK');
      this.logger.error('a transaction was still open after its work had ended: rolled back');
    }
    const runner = this.dataSource.createQueryRunner() as unknown as TransactionBookkeeping; // SQLite: the one shared runner
    if (runner.isTransactionActive || runner.transactionDepth !== 0) {
      runner.isTransactionActive = false;
      runner.transactionDepth = 0;
    }
  }
}
