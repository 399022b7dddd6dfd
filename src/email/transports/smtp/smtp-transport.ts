import { Injectable } from '@nestjs/common';
import type { SmtpSettings } from '../../../settings/smtp-settings/smtp-settings';
import { RelayHealth } from '../../../smtp/relay-health/relay-health';
import { type Relay, type SentMail, type SmtpCheckResult, SmtpGateway } from '../../../smtp/smtp-gateway';
import type { EncodedMail, MailHold, MailRoute, MailTransport, TransportFailure } from '../../mail-transport.port';
import { RelayHealthTransport } from '../relay-health-transport';

function replyOf(info: SentMail): string | null {
  return info.response ?? null;
}

/** A route through one pool of the relay (its settings' generation). */
interface RelayRoute extends MailRoute {
  readonly relay: Relay;
}

/**
 * Mail through the SMTP relay of the settings (src/smtp): the gateway's pooled
 * transport and classification, its relay check and test mail, the relay's shared
 * health and quota (RelayHealthTransport).
 */
@Injectable()
export class SmtpTransport extends RelayHealthTransport implements MailTransport {
  readonly name = 'smtp';
  /** The route of the current pool, made once per pool (not per mail). */
  private current?: RelayRoute;

  constructor(
    private readonly gateway: SmtpGateway,
    health: RelayHealth,
  ) {
    super(health);
  }

  isConfigured(): Promise<boolean> {
    return this.gateway.isConfigured();
  }

  refresh(): Promise<void> {
    return this.health.refresh();
  }

  route(): Promise<MailRoute | undefined> {
    return this.gateway.relay().then(this.routeOf);
  }

  /** The route of the relay's pool (made once: every mail asks). */
  private readonly routeOf = (relay: Relay | undefined): MailRoute | undefined => {
    if (!relay) return undefined;
    if (this.current?.relay !== relay) {
      const { host, port, sender, gatewayUri, poolSize } = relay.settings;
      this.current = { relay, name: `${host}:${port}`, sender: sender!, gatewayUri, connections: poolSize };
    }
    return this.current;
  };

  reserve(route: MailRoute): Promise<MailHold | undefined> {
    return this.health.reserve((route as RelayRoute).relay.settings);
  }

  send(route: MailRoute, mail: EncodedMail): Promise<string | null> {
    return (route as RelayRoute).relay.send(mail).then(replyOf);
  }

  classify(error: unknown): TransportFailure {
    return this.transportFailure(this.gateway.classify(error));
  }

  waitingChanged(): Promise<void> {
    return this.health.waitingChanged();
  }

  verify(settings: SmtpSettings): Promise<SmtpCheckResult> {
    return this.gateway.verify(settings);
  }

  sendTest(to: string): Promise<SmtpCheckResult> {
    return this.gateway.sendTest(to);
  }
}
