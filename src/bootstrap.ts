import 'reflect-metadata';
import { hash } from 'node:crypto';
import { ConsoleLogger, type DynamicModule, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { Clock } from './clock/clock';
import type { HeraldConfig } from './config/herald-config';
import { createValidationPipe } from './graphql/validation.pipe';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's logger, writing every level to stderr: the CLI's, whose stdout is the command's output. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown, params?: Record<string, unknown>): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}

/**
 * Herald's logger: LOG_FORMAT, LOG_LEVEL, and colours only where they are read on a
 * terminal — never into a file or a pipe (systemd, docker logs, `> file`), unless
 * FORCE_COLOR says so. The server logs to stdout (errors to stderr); `stderrOnly`
 * (the CLI) keeps stdout for what a command prints.
 */
export function createLogger(config: HeraldConfig, { stderrOnly = false } = {}): ConsoleLogger {
  const upTo = LEVELS.indexOf(config.log.level);
  const streams = stderrOnly ? [process.stderr] : [process.stdout, process.stderr];
  const json = config.log.format === 'json';
  // (Nest prints JSON with colours on as a coloured object literal, not JSON: never.)
  const colors = !json && (config.log.colours === 'auto' ? streams.every((s) => s.isTTY === true) : config.log.colours === 'always');
  const Logger = stderrOnly ? StderrLogger : ConsoleLogger;
  return new Logger('Herald', { json, logLevels: LEVELS.slice(0, upTo + 1), colors });
}

/**
 * Builds the Herald application (not yet listening): used by main.ts and the end-to-end suites,
 * which may give it a ManualClock and modules of their own (a channel written for a test).
 */
export async function createHeraldApp(config: HeraldConfig, { clock, modules = [] }: { clock?: Clock; modules?: Array<Type | DynamicModule> } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, { clock, modules }), {
    logger: createLogger(config),
    abortOnError: false,
  });
  // Which framework answers is nobody's business (Express says it on every answer otherwise).
  app.disable('x-powered-by');
  app.set('etag', weakETag);
  // One size limit for request bodies (Nest would register its parsers with
  // body-parser's 100 kB default); a body over it is answered 413 by HeraldExceptionFilter.
  app.useBodyParser('json', { limit: config.requestLimits.bodyBytes });
  app.useBodyParser('urlencoded', { limit: config.requestLimits.bodyBytes, extended: true });
  app.useGlobalPipes(createValidationPipe());
  allowOrigins(app, config.http.corsOrigins);
  // Exit 0 after a clean shutdown (Nest would re-raise the signal: exit 143, and a container's PID 1 ignores it).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // The broker's modules (@nestjs/microservices, amqplib) load only when RABBITMQ_URL is set.
  if (config.broker) {
    const { connectBroker } = require('./job-events/broker/broker-connection') as typeof import('./job-events/broker/broker-connection');
    connectBroker(app, config.broker);
  }
  return app;
}

/**
 * Express's default ETag ('weak': W/"<length in hex>-<27 characters of the body's SHA-1
 * in base64>"), the same header, with crypto.hash in one call instead of a Hash object
 * per answer (every POST /events answer carries one).
 */
export function weakETag(body: string | Buffer, encoding?: BufferEncoding): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, encoding);
  if (bytes.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${bytes.length.toString(16)}-${hash('sha1', bytes, 'base64').slice(0, 27)}"`;
}

/**
 * CORS for the pages of CORS_ORIGINS (the console's, on another origin): their
 * scripts may call Herald with a bearer token. A listed origin's preflight is answered
 * (GET and POST, Authorization and Content-Type, cached 10 minutes) and its answers
 * carry Access-Control-Allow-Origin: <that origin>. Any other origin's preflight is
 * refused (403, no CORS header), so the browser refuses its page the call. Never `*`,
 * and no credentials: Herald reads no cookie, the token travels in a header.
 */
function allowOrigins(app: NestExpressApplication, origins: string[]): void {
  const allowed = new Set(origins);
  type Request = { method: string; headers: Record<string, string | string[] | undefined> };
  type Response = { vary(field: string): unknown; status(code: number): { json(body: unknown): unknown } };
  app.use((req: Request, res: Response, next: () => void) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && typeof origin === 'string' && req.headers['access-control-request-method'] !== undefined;
    if (preflight && !allowed.has(origin)) {
      res.status(403).json({ statusCode: 403, error: 'Forbidden', message: 'This origin may not call Herald from a browser: it is not in CORS_ORIGINS' });
      return;
    }
    // The answers differ by Origin (a listed one is named in them): caches must keep them apart.
    if (allowed.size > 0) res.vary('Origin');
    next();
  });
  if (allowed.size === 0) return;
  app.enableCors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    credentials: false,
    maxAge: 600,
  });
}

/** Starts the broker consumer (if configured) and the HTTP server. */
export async function startHerald(app: INestApplication, config: HeraldConfig, host = config.http.host, port = config.http.port): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(port, host);
}
