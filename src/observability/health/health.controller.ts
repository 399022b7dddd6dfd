import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
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
  async summary(@Res({ passthrough: true }) res: HttpStatus): Promise<Health> {
    const database = await this.database.check();
    const ok = database === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'error', database, broker: this.broker.state };
  }

  @Get('live')
  @Public()
  live(@Res({ passthrough: true }) res: HttpStatus): Promise<HealthCheckResult> {
    return this.answer(res, []);
  }

  @Get('ready')
  @Public()
  ready(@Res({ passthrough: true }) res: HttpStatus): Promise<HealthCheckResult> {
    return this.answer(res, [() => this.readiness.database(), () => this.readiness.broker(), () => this.readiness.relayState()]);
  }

  /** Terminus' result with its status code: 503 (with the same detail) when a check is down, not an error page. */
  private async answer(res: HttpStatus, checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}

interface HttpStatus {
  status(code: number): unknown;
}
