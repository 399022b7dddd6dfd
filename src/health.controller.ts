import { Controller, Get } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from './auth/auth.decorators';
import { BrokerStatus } from './job-events/broker/broker-status';

/** Liveness and readiness for orchestrators: GET /health. */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly broker: BrokerStatus,
  ) {}

  /** `broker` is off (not configured), connected, or disconnected while it reconnects. */
  @Get()
  @Public()
  async health(): Promise<{ status: 'ok'; database: 'up'; broker: string }> {
    await this.dataSource.query('SELECT 1');
    return { status: 'ok', database: 'up', broker: this.broker.state };
  }
}
