import { Controller, Get, Res } from '@nestjs/common';
import { Public } from './auth/auth.decorators';
import type { DatabaseState } from './database/database-health';
import { DatabaseProbe } from './database/database-probe';
import { BrokerStatus } from './job-events/broker/broker-status';

interface Health {
  status: 'ok' | 'error';
  /** up; full: writes fail for want of space; down: writes fail for want of a database. */
  database: DatabaseState;
  /** off (not configured), connected, or disconnected while it reconnects. */
  broker: string;
}

/** Liveness and readiness for orchestrators: GET /health answers 200 when Herald can record events, 503 when not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseProbe,
    private readonly broker: BrokerStatus,
  ) {}

  @Get()
  @Public()
  async health(@Res({ passthrough: true }) res: { status(code: number): unknown }): Promise<Health> {
    const database = await this.database.check();
    const ok = database === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'error', database, broker: this.broker.state };
  }
}
