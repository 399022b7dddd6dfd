import 'reflect-metadata';
import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
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
export async function createHeraldApp(config: HeraldConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: createLogger(config),
    abortOnError: false,
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  return app;
}
