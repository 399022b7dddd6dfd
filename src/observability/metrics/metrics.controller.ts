import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { Public } from '../../auth/auth.decorators';
import { HeraldConfig } from '../../config/herald-config';
import { HeraldMetrics } from '../../metrics/herald-metrics';

/**
 * GET /metrics for Prometheus. Open by default (it says how much mail flows, never
 * to whom or what); METRICS_TOKEN asks for a bearer token of its own (not a Herald
 * JWT: a scraper is no person and no service), METRICS_ENABLED=false answers 404.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: HeraldMetrics,
    private readonly config: HeraldConfig,
  ) {}

  @Get()
  @Public()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown },
  ): Promise<string> {
    const { enabled, token } = this.config.metrics;
    if (!enabled) throw new NotFoundException('metrics are disabled (METRICS_ENABLED=false)');
    if (token && !sameSecret(authorization ?? '', `Bearer ${token}`)) throw new UnauthorizedException('metrics ask for the METRICS_TOKEN bearer token');
    res.setHeader('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
