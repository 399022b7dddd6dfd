import { Injectable } from '@nestjs/common';

/** The RabbitMQ connection as the health check reports it. */
@Injectable()
export class BrokerStatus {
  /** off: not configured; else what the transport last said (connected, disconnected, …). */
  state = 'off';
}
