import { DynamicModule, Global, Module } from '@nestjs/common';
import { HeraldConfig } from './herald-config';

/** Makes the one HeraldConfig, built before the app starts, injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: HeraldConfig, useValue: config }], exports: [HeraldConfig] };
  }
}
