import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/herald-config';
import { dataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource the TypeORM CLI uses (`npx typeorm -d dist/ormconfig.js migration:show`).
 * Same options as the app; entities are found by file name.
 */
export default new DataSource({
  ...dataSourceOptions(loadConfig().database),
  entities: [`${__dirname}/src/**/*.entity.{ts,js}`],
});
