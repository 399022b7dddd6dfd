import type { RelayHealth } from '../../smtp/relay-health/relay-health';
import { SmtpCheckStep, type SmtpFailure } from '../../smtp/smtp-gateway';
import type { MailHold, MailRoute, TransportFailure } from '../mail-transport.port';

/** A failure as the transport classified it, in SMTP's terms: kept for the relay's health. */
interface ClassifiedFailure extends TransportFailure {
  readonly smtp: SmtpFailure;
}

/**
 * What the SMTP and Graph transports share: they classify their failures in SMTP's
 * terms (SmtpFailure: the gateway's classifier, or classifyGraphFailure), and their
 * health, circuit, pacing and quota are the relay's (RelayHealth: one transport is in
 * use at a time). Each transport adds its own route, send, refresh (its probe) and checks.
 */
export abstract class RelayHealthTransport {
  constructor(protected readonly health: RelayHealth) {}

  holding(): MailHold | undefined {
    return this.health.holding();
  }

  succeeded(_route?: MailRoute): Promise<void> {
    return this.health.succeeded();
  }

  failed(failure: TransportFailure): Promise<void> {
    const smtp = smtpFailureOf(failure);
    // The same refusal of the sender for many messages (the email channel's SenderRefusals): the relay's state.
    return this.health.failed(failure.opensCircuit ? { ...smtp, scope: 'relay', opensCircuit: true } : smtp);
  }

  throttled(failure: TransportFailure): Promise<MailHold> {
    return this.health.throttled(smtpFailureOf(failure), failure.sentAt);
  }

  lastWorkedAt(): Date | null {
    return this.health.lastWorkedAt();
  }

  /** The port's failure for a classification in SMTP's terms (relay scope: the transport as a whole). */
  protected transportFailure(smtp: SmtpFailure): TransportFailure {
    const failure: ClassifiedFailure = {
      scope: smtp.scope === 'relay' ? 'transport' : smtp.scope,
      transient: smtp.transient,
      slowDown: smtp.throttled,
      // A session lost while sending (not the relay's own word about every mail: a slowdown, a used-up quota).
      whileSending: smtp.scope === 'relay' && !smtp.throttled && !smtp.opensCircuit && smtp.step === SmtpCheckStep.SEND,
      senderRefused: smtp.scope === 'message' && smtp.transient && smtp.command === 'MAIL FROM',
      step: smtp.step,
      reply: smtp.reply,
      description: smtp.description,
      smtp,
    };
    return failure;
  }
}

/** The classification a failure was made from; a failure made elsewhere is taken as the relay's. */
function smtpFailureOf(failure: TransportFailure): SmtpFailure {
  return (
    (failure as Partial<ClassifiedFailure>).smtp ?? {
      scope: 'relay',
      transient: failure.transient,
      step: failure.step as SmtpCheckStep,
      reply: failure.reply,
      description: failure.description,
      throttled: failure.slowDown,
    }
  );
}
