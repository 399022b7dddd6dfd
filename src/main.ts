import { Logger } from '@nestjs/common';
import { createHeraldApp, startHerald } from './bootstrap';
import { loadConfig } from './config/herald-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    // One line naming the variable and the reason; nothing else to read.
    console.error(`herald: ${(error as Error).message}`);
    process.exit(1);
  }
  const app = await createHeraldApp(config);
  await startHerald(app, config);
  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const db = config.database.type === 'sqlite' ? `SQLite ${config.database.path}` : `PostgreSQL (schema ${config.database.schema})`;
  const broker = config.broker ? `, RabbitMQ queue ${config.broker.queue}` : '';
  new Logger('Herald').log(`GraphQL ready at http://${shownHost}:${config.http.port}/graphql — ${db}${broker}`);
}

main().catch((error: Error) => {
  console.error(`herald: failed to start: ${error.message}`);
  process.exit(1);
});
