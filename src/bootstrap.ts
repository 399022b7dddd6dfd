import 'reflect-metadata';
import { ConsoleLogger, type DynamicModule, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { HeraldConfig } from './config/herald-config';
import { createValidationPipe } from './graphql/validation.pipe';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function createLogger(config: HeraldConfig): ConsoleLogger {
  const upTo = LEVELS.indexOf(config.log.level);
  return new ConsoleLogger('Herald', { json: config.log.format === 'json', logLevels: LEVELS.slice(0, upTo + 1) });
}

/** Builds the Herald application (not yet listening): used by main.ts and the end-to-end suites. */
/** The application; `modules` run in it too (tests add a channel of their own this way). */
export async function createHeraldApp(config: HeraldConfig, modules: Array<Type | DynamicModule> = []): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, modules), {
    logger: createLogger(config),
    abortOnError: false,
  });
  // One size limit for request bodies (Nest would register its parsers with
  // body-parser's 100 kB default); a body over it is answered 413 by HeraldExceptionFilter.
  app.useBodyParser('json', { limit: config.requestLimits.bodyBytes });
  app.useBodyParser('urlencoded', { limit: config.requestLimits.bodyBytes, extended: true });
  app.useGlobalPipes(createValidationPipe());
  // Exit 0 after a clean shutdown (Nest would re-raise the signal: exit 143, and a container's PID 1 ignores it).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // The broker's modules (@nestjs/microservices, amqplib) load only when RABBITMQ_URL is set.
  if (config.broker) {
    const { connectBroker } = require('./job-events/broker/broker-connection') as typeof import('./job-events/broker/broker-connection');
    connectBroker(app, config.broker);
  }
  return app;
}

/** Starts the broker consumer (if configured) and the HTTP server. */
export async function startHerald(app: INestApplication, config: HeraldConfig, host = config.http.host, port = config.http.port): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(port, host);
}
