import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '../config/herald-config';
import { dataSourceOptions } from './data-source-options';
import { openDatabase } from './prepare-database';
import { DatabaseHealth } from './database-health';
import { DatabaseProbe } from './database-probe';
import { HealthProbeEntity } from './health-probe.entity';
import { Transactions } from './transactions';

/** The database (TypeORM's DataSource, global), the one way to run a transaction on it, and whether it takes writes. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [HeraldConfig],
      useFactory: (config: HeraldConfig) => ({
        ...dataSourceOptions(config.database),
        migrationsRun: config.migrationsRun,
        autoLoadEntities: true,
        // A file that cannot be opened will not open on a second try; a server may come up.
        retryAttempts: config.database.type === 'sqlite' ? 0 : 9,
      }),
      dataSourceFactory: async (options) => {
        const { dataSource, applied } = await openDatabase(options!);
        if (applied.length) new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
        return dataSource;
      },
    }),
    TypeOrmModule.forFeature([HealthProbeEntity]),
  ],
  providers: [Transactions, DatabaseHealth, DatabaseProbe],
  exports: [Transactions, DatabaseHealth, DatabaseProbe],
})
export class DatabaseModule {}
