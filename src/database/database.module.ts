import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '../config/herald-config';
import { dataSourceOptions } from './data-source-options';
import { openDatabase } from './prepare-database';
import { Transactions } from './transactions';

/** The database (TypeORM's DataSource, global) and the one way to run a transaction on it. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [HeraldConfig],
      useFactory: (config: HeraldConfig) => ({
        ...dataSourceOptions(config.database),
        migrationsRun: config.migrationsRun,
        autoLoadEntities: true,
      }),
      dataSourceFactory: async (options) => {
        const { dataSource, applied } = await openDatabase(options!);
        if (applied.length) new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
        return dataSource;
      },
    }),
  ],
  providers: [Transactions],
  exports: [Transactions],
})
export class DatabaseModule {}
