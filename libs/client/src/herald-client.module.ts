import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { HeraldPublisher, type HeraldClientOptions } from './herald-publisher';

/**
 * For other Nest services: `imports: [HeraldClientModule.forRoot({ url })]`, then
 * inject HeraldPublisher and `await publisher.publish(event)`.
 */
@Module({})
export class HeraldClientModule implements OnApplicationShutdown {
  constructor(@Inject(HeraldPublisher) private readonly publisher: HeraldPublisher) {}

  static forRoot(options: HeraldClientOptions): DynamicModule {
    return {
      module: HeraldClientModule,
      providers: [{ provide: HeraldPublisher, useFactory: () => new HeraldPublisher(options) }],
      exports: [HeraldPublisher],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
