import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AudienceSources } from './audience-sources';

/** Finds the audience sources the application's modules register (src/audiences/audience-source.port.ts). */
@Module({
  imports: [DiscoveryModule],
  providers: [AudienceSources],
  exports: [AudienceSources],
})
export class AudiencesModule {}
