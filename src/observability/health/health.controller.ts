import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../../auth/auth.decorators';
import type { DatabaseState } from '../../database/database-health';
import { DatabaseProbe } from '../../database/database-probe';
import { BrokerStatus } from '../../job-events/broker/broker-status';
import { ReadinessIndicators } from './readiness-indicators';

interface Health {
  status: 'ok' | 'error';
  /** up; full: writes fail for want of space; down: writes fail for want of a database. */
  database: DatabaseState;
  /** off (not configured), connected, or disconnected while it reconnects. */
  broker: string;
}

/**
 * Health for orchestrators. GET /health/live: the process answers (restart it if
 * not). GET /health/ready: Herald can accept events — the database takes writes
 * (write probe) and the broker, when configured, is connected; 503 when not. The
 * relay's state is reported there too, without making Herald unready. GET /health
 * is the summary older setups ask (200 when the database takes writes).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicators,
    private readonly database: DatabaseProbe,
    private readonly broker: BrokerStatus,
  ) {}

  @Get()
  @Public()
  async summary(@Res({ passthrough: true }) res: { status(code: number): unknown }): Promise<Health> {
    const database = await this.database.check();
    const ok = database === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'error', database, broker: this.broker.state };
  }

  @Get('live')
  @Public()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  ready() {
    return this.health.check([() => this.readiness.database(), () => this.readiness.broker(), () => this.readiness.relayState()]);
  }
}
