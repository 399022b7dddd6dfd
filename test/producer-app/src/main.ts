import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HeraldClientModule, HeraldPublisher, JobEventType, type JobEvent } from '@herald/client';

/**
 * A producing service as docs/client.md shows it: HeraldClientModule in the
 * imports, HeraldPublisher injected, publish(). It sends one event of each type for
 * the application RUN_APPLICATION, with ids prefixed by RUN_ID, prints each as a
 * line of JSON ({ id, type }) once RabbitMQ has confirmed it, and exits.
 */
@Injectable()
class JobsService {
  constructor(private readonly herald: HeraldPublisher) {}

  async publishOneOfEach(runId: string, application: { id: string; name: string }): Promise<void> {
    const common = { schemaVersion: 1, occurredAt: new Date().toISOString(), application };
    const job = { id: `${runId}-job`, kind: 'analysis' };
    const events: JobEvent[] = [
      { ...common, id: `${runId}-succeeded`, type: JobEventType.JOB_SUCCEEDED, job },
      { ...common, id: `${runId}-failed`, type: JobEventType.JOB_FAILED, job, error: { message: 'Out of memory', step: 'Run analyzer' } },
      { ...common, id: `${runId}-stopped`, type: JobEventType.JOB_STOPPED, job, stoppedBy: { id: 'u-1', name: 'Ada' } },
      { ...common, id: `${runId}-application`, type: JobEventType.APPLICATION_CREATED, createdBy: { id: 'u-1' } },
      { ...common, id: `${runId}-version`, type: JobEventType.VERSION_CREATED, version: { name: '2.0' } },
    ];
    for (const event of events) {
      await this.herald.publish(event);
      console.log(JSON.stringify({ id: event.id, type: event.type }));
    }
  }
}

@Module({
  imports: [HeraldClientModule.forRoot({ url: process.env.RABBITMQ_URL!, queue: process.env.RABBITMQ_QUEUE })],
  providers: [JobsService],
})
class ProducerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(ProducerModule, { logger: ['error', 'warn'] });
  try {
    const [id, name] = (process.env.RUN_APPLICATION ?? 'app-1:Billing').split(':');
    await app.get(JobsService).publishOneOfEach(process.env.RUN_ID ?? 'producer', { id, name });
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
