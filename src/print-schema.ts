import { GraphQLSchemaHost } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createHeraldApp } from './bootstrap';
import { HeraldConfig } from './config/herald-config';

/** The GraphQL schema as generated from the code (what `schema.graphql` must equal). */
export async function printHeraldSchema(config: HeraldConfig): Promise<string> {
  const inMemory = Object.assign(Object.create(HeraldConfig.prototype), config, {
    database: { type: 'sqlite', path: ':memory:' },
    log: { ...config.log, level: 'error' },
  }) as HeraldConfig;
  const app = await createHeraldApp(inMemory);
  try {
    await app.init();
    const { schema } = app.get(GraphQLSchemaHost);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}
