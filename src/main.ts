import { Logger } from '@nestjs/common';
import { createHeraldApp, startHerald } from './bootstrap';
import { loadConfig } from './config/herald-config';
import { serverArguments } from './server-arguments';
import { readSeedFile, seedFromEnvironment, seedInput } from './settings/seed/settings-seed.source';

async function main(): Promise<void> {
  const answer = serverArguments(process.argv.slice(2));
  if (answer) {
    if (answer.out) process.stdout.write(answer.out);
    if (answer.err) process.stderr.write(answer.err);
    process.exit(answer.exitCode);
  }
  let config;
  try {
    config = loadConfig();
    // The first-start SMTP settings are checked before any database or key file is created.
    seedInput(seedFromEnvironment(config.seedEnvironment), config.settingsFile ? readSeedFile(config.settingsFile) : {});
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
  const logger = new Logger('Herald');
  logger.log(`GraphQL ready at http://${shownHost}:${config.http.port}/graphql — ${db}${broker}`);
  // A stop asked for (orchestrator, Ctrl-C) is logged and ends with exit code 0 once in-flight work is done.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => logger.log(`${signal} received: stopping`));
  process.once('exit', (code) => logger.log(`stopped (exit code ${code})`));
}

main().catch((error: Error) => {
  console.error(`herald: failed to start: ${error.message}`);
  process.exit(1);
});
