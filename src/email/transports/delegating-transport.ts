import type { EncodedMail, MailHold, MailRoute, MailTransport, TransportFailure } from '../mail-transport.port';

/**
 * What SelectedTransport and FailoverTransport share: each hands a mail to one of
 * several transports, and what that transport answered (the route it made, the
 * error it threw, its classification) goes back to it — also after the choice
 * changed — so that a success or a failure is counted by the transport that had it.
 */
export abstract class DelegatingTransport {
  /** Which transport made a route, threw an error or classified a failure. */
  private readonly origins = new WeakMap<object, MailTransport>();

  /** The transport answering for what none of them made (the one in use). */
  protected abstract current(): MailTransport;

  /** A route `transport` made: what comes of it goes back to that transport. */
  protected remember(route: MailRoute, transport: MailTransport): void {
    this.origins.set(route, transport);
  }

  reserve(route: MailRoute): Promise<MailHold | undefined> {
    return this.originOf(route).reserve(route);
  }

  send(route: MailRoute, mail: EncodedMail): Promise<string | null> {
    const transport = this.originOf(route);
    let sent: Promise<string | null>;
    try {
      sent = transport.send(route, mail);
    } catch (error) {
      sent = Promise.reject(error); // as from an async send
    }
    return sent.then(undefined, this.thrownBy(transport));
  }

  /** Per transport, made once: records that it threw the error, and throws it on. */
  private readonly throwers = new Map<MailTransport, (error: unknown) => never>();

  private thrownBy(transport: MailTransport): (error: unknown) => never {
    let thrower = this.throwers.get(transport);
    if (!thrower) {
      thrower = (error) => {
        if (error !== null && typeof error === 'object') this.origins.set(error, transport);
        throw error;
      };
      this.throwers.set(transport, thrower);
    }
    return thrower;
  }

  classify(error: unknown): TransportFailure {
    const transport = this.originOf(error);
    const failure = transport.classify(error);
    this.origins.set(failure, transport);
    return failure;
  }

  succeeded(route: MailRoute): Promise<void> {
    return this.originOf(route).succeeded(route);
  }

  failed(failure: TransportFailure): Promise<void> {
    return this.originOf(failure).failed(failure);
  }

  throttled(failure: TransportFailure): Promise<MailHold> {
    return this.originOf(failure).throttled(failure);
  }

  lastWorkedAt(failure?: TransportFailure): Date | null {
    return this.originOf(failure).lastWorkedAt(failure);
  }

  protected originOf(thing: unknown): MailTransport {
    return (thing !== null && typeof thing === 'object' && this.origins.get(thing)) || this.current();
  }
}
