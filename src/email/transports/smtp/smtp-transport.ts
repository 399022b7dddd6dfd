import { Injectable } from '@nestjs/common';
import type { SmtpSettings } from '../../../settings/smtp-settings/smtp-settings';
import { RelayHealth } from '../../../smtp/relay-health/relay-health';
import { type Relay, type SmtpCheckResult, SmtpCheckStep, type SmtpFailure, SmtpGateway } from '../../../smtp/smtp-gateway';
import type { EncodedMail, MailHold, MailRoute, MailTransport, TransportFailure } from '../../mail-transport.port';

/** A route through one pool of the relay (its settings' generation). */
interface RelayRoute extends MailRoute {
  readonly relay: Relay;
}

/** The classification as the gateway made it, kept for the relay's health. */
interface SmtpTransportFailure extends TransportFailure {
  readonly smtp: SmtpFailure;
}

/**
 * Mail through the SMTP relay of the settings (src/smtp): the gateway's pooled
 * transport and classification, its relay check and test mail, the relay's shared
 * health and quota.
 */
@Injectable()
export class SmtpTransport implements MailTransport {
  readonly name = 'smtp';
  /** The route of the current pool, made once per pool (not per mail). */
  private current?: RelayRoute;

  constructor(
    private readonly gateway: SmtpGateway,
    private readonly health: RelayHealth,
  ) {}

  isConfigured(): Promise<boolean> {
    return this.gateway.isConfigured();
  }

  refresh(): Promise<void> {
    return this.health.refresh();
  }

  holding(): MailHold | undefined {
    return this.health.holding();
  }

  async route(): Promise<MailRoute | undefined> {
    const relay = await this.gateway.relay();
    if (!relay) return undefined;
    if (this.current?.relay !== relay) {
      const { host, port, sender, gatewayUri } = relay.settings;
      this.current = { relay, name: `${host}:${port}`, sender: sender!, gatewayUri };
    }
    return this.current;
  }

  reserve(route: MailRoute): Promise<MailHold | undefined> {
    return this.health.reserve((route as RelayRoute).relay.settings);
  }

  async send(route: MailRoute, mail: EncodedMail): Promise<string | null> {
    const info = await (route as RelayRoute).relay.send(mail);
    return info.response ?? null;
  }

  classify(error: unknown): TransportFailure {
    const smtp = this.gateway.classify(error);
    const failure: SmtpTransportFailure = {
      scope: smtp.scope === 'relay' ? 'transport' : smtp.scope,
      transient: smtp.transient,
      slowDown: smtp.throttled,
      whileSending: smtp.scope === 'relay' && !smtp.throttled && smtp.step === SmtpCheckStep.SEND,
      senderRefused: smtp.scope === 'message' && smtp.transient && smtp.command === 'MAIL FROM',
      step: smtp.step,
      reply: smtp.reply,
      description: smtp.description,
      smtp,
    };
    return failure;
  }

  succeeded(): Promise<void> {
    return this.health.succeeded();
  }

  failed(failure: TransportFailure): Promise<void> {
    const smtp = smtpFailureOf(failure);
    return this.health.failed(failure.opensCircuit ? { ...smtp, scope: 'relay', opensCircuit: true } : smtp);
  }

  throttled(failure: TransportFailure): Promise<MailHold> {
    return this.health.throttled(smtpFailureOf(failure), failure.sentAt);
  }

  lastWorkedAt(): Date | null {
    return this.health.lastWorkedAt();
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

function smtpFailureOf(failure: TransportFailure): SmtpFailure {
  return (failure as Partial<SmtpTransportFailure>).smtp ?? { scope: 'relay', transient: failure.transient, step: failure.step as SmtpCheckStep, reply: failure.reply, description: failure.description, throttled: failure.slowDown };
}
