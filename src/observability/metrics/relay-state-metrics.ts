import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { RelayState, RelayStateChangedEvent } from '../../smtp/smtp-gateway';
import { HeraldMetrics } from '../../metrics/herald-metrics';

const STATES = Object.values(RelayState);

/** The relay's state on /metrics, as the circuit breaker announces it. */
@Injectable()
export class RelayStateMetrics {
  constructor(private readonly metrics: HeraldMetrics) {}

  @OnEvent(RelayStateChangedEvent.NAME)
  onRelayState(event: RelayStateChangedEvent): void {
    this.metrics.relayStateChanged(event.state, STATES);
  }
}
