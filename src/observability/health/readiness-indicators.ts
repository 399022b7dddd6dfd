import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseHealth } from '../../database/database-health';
import { DatabaseProbe } from '../../database/database-probe';
import { BrokerStatus } from '../../job-events/broker/broker-status';
import { RelayHealth } from '../../smtp/relay-health/relay-health';
import { RelayState, RelayStateChangedEvent } from '../../smtp/smtp-gateway';

/**
 * What readiness is made of, each with its detail. The database (with the write
 * probe) and the broker, when one is configured, decide readiness: without them no
 * event can be accepted. The relay does not — events are still accepted while it is
 * down, and mailed when it is back — so a relay that is DOWN makes readiness
 * `degraded` (still HTTP 200), saying so.
 */
@Injectable()
export class ReadinessIndicators {
  /** The relay's state as the circuit breaker last announced it (none yet: not known). */
  private relay?: RelayStateChangedEvent;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly probe: DatabaseProbe,
    private readonly databaseHealth: DatabaseHealth,
    private readonly brokerStatus: BrokerStatus,
    private readonly relayHealth: RelayHealth,
  ) {}

  @OnEvent(RelayStateChangedEvent.NAME)
  onRelayState(event: RelayStateChangedEvent): void {
    this.relay = event;
  }

  async database() {
    const indicator = this.indicators.check('database');
    const state = await this.probe.check();
    const { since, reason } = this.databaseHealth.detail;
    const detail = { state, writeProbe: state === 'up' ? 'ok' : 'failed', since: since.toISOString(), ...(reason ? { reason } : {}) };
    return state === 'up' ? indicator.up(detail) : indicator.down(detail);
  }

  broker() {
    const indicator = this.indicators.check('broker');
    const state = this.brokerStatus.state;
    if (state === 'off') return indicator.up({ state, configured: false });
    return state === 'connected' ? indicator.up({ state, configured: true }) : indicator.down({ state, configured: true });
  }

  /** The relay's state as last announced; the deliveries waiting for it counted now (the announcement's count is of its moment). */
  async relayState() {
    const indicator = this.indicators.check('relay');
    const relay = this.relay;
    if (!relay) return indicator.up({ state: 'UNKNOWN', note: 'no relay state announced yet' });
    const waiting = await this.relayHealth.waiting().then(
      (w) => w.count,
      () => relay.waiting, // the database cannot answer: the database's own check says so
    );
    const detail = {
      state: relay.state,
      since: relay.since.toISOString(),
      waiting,
      ...(relay.lastFailure
        ? { lastFailure: { step: relay.lastFailure.step, reply: relay.lastFailure.reply, description: relay.lastFailure.description, at: relay.lastFailure.at.toISOString() } }
        : {}),
    };
    if (relay.state === RelayState.DOWN) {
      return indicator.degraded({ ...detail, note: 'mail waits until the relay is back; events are still accepted' });
    }
    return indicator.up(detail);
  }
}
