/** The peer stack as a process: `node dist/bench/peers/stack/main.js` (started by bench/peers/peer-process.ts). */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PeerModule } from './peer.module';

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(PeerModule, { logger: ['error', 'warn'] });
  // Events carry log excerpts of up to 64 KB: Express's 100 kB default is too tight for some.
  app.useBodyParser('json', { limit: '1mb' });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
