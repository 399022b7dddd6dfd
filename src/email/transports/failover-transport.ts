import { Injectable, Logger } from '@nestjs/common';
import type { SmtpSettings } from '../../settings/smtp-settings/smtp-settings';
import { RelayRole } from '../../settings/standby-settings/relay-role';
import type { SmtpCheckResult } from '../../smtp/smtp-gateway';
import type { MailHold, MailRoute, MailTransport } from '../mail-transport.port';
import { DelegatingTransport } from './delegating-transport';
import { SelectedTransport } from './selected-transport';
import { StandbyTransport } from './standby/standby-transport';

/**
 * MAIL_TRANSPORT: the primary (the transport its settings select), or — for every
 * mail while the primary is DOWN (its circuit open) — the standby relay, when one is
 * set and not down itself. The primary keeps being probed meanwhile (at every
 * refresh, as before); once a probe succeeds, the next mail takes the primary again.
 * Pacing of the primary (its quota, a "slow down") is not an outage: mail waits for
 * it as before. Without a standby this is the primary, unchanged.
 *
 * What a transport answered (a route, an error, its classification) goes back to
 * the one that answered, as in SelectedTransport, so a success or a failure is
 * counted by the relay that had it; each mail records which one sent it (`sentVia`).
 */
@Injectable()
export class FailoverTransport extends DelegatingTransport implements MailTransport {
  private readonly logger = new Logger('MailTransport');
  private readonly standby: MailTransport;
  /** The way the last route took (the switch is logged once each way). */
  private carrying?: MailTransport;
  /** Whether a standby is set, as last read (refresh). */
  private standbyConfigured = false;

  constructor(
    private readonly primary: SelectedTransport,
    standby: StandbyTransport,
  ) {
    super();
    this.standby = standby.transport;
  }

  get name(): string {
    return this.primary.name;
  }

  /** Mail goes out at all when the primary is set (a standby alone is not used). */
  isConfigured(): Promise<boolean> {
    return this.primary.isConfigured();
  }

  /** Both read their shared health (and are probed when down and due). */
  async refresh(): Promise<void> {
    await this.primary.refresh();
    this.standbyConfigured = await this.standby.isConfigured();
    if (this.standbyConfigured) await this.standby.refresh();
  }

  /** The primary's hold, unless it is down and the standby may send; both down: why, for each. */
  holding(): MailHold | undefined {
    const hold = this.primary.holding();
    if (!this.failingOver(hold)) return hold;
    const standby = this.standby.holding();
    return standby && { ...standby, reason: `${standby.reason} (the standby relay; the primary: ${hold!.reason})` };
  }

  route(): Promise<MailRoute | undefined> {
    return this.failingOver(this.primary.holding()) ? this.standby.route().then(this.viaStandby) : this.primary.route().then(this.viaPrimary);
  }

  /** A route the transport made (made once each: every mail asks for its route). */
  private readonly viaPrimary = (route: MailRoute | undefined) => this.routed(route, this.primary);
  private readonly viaStandby = (route: MailRoute | undefined) => this.routed(route, this.standby);

  private routed(route: MailRoute | undefined, transport: MailTransport): MailRoute | undefined {
    if (!route) return route;
    this.remember(route, transport);
    if (this.carrying && this.carrying !== transport) {
      if (transport === this.standby) this.logger.warn(`the primary is down: mail goes through the standby relay (${route.name}) until a probe finds the primary back`);
      else this.logger.log(`the primary works again: mail goes through it (${route.name})`);
    }
    this.carrying = transport;
    return route;
  }

  /** `primary: 127.0.0.1:25`, `standby: Microsoft Graph graph.microsoft.com as herald@example.com`. */
  sentVia(route: MailRoute): string {
    return `${this.originOf(route) === this.standby ? 'standby' : 'primary'}: ${route.name}`;
  }

  waitingChanged(): Promise<void> {
    const carrying = this.failingOver(this.primary.holding()) ? this.standby : this.primary;
    return carrying.waitingChanged?.() ?? Promise.resolve();
  }

  verify(settings: SmtpSettings, relay: RelayRole = RelayRole.PRIMARY): Promise<SmtpCheckResult> {
    return this.of(relay).verify(settings);
  }

  sendTest(to: string, relay: RelayRole = RelayRole.PRIMARY): Promise<SmtpCheckResult> {
    return this.of(relay).sendTest(to);
  }

  /** The primary is down (a hold with no end: the circuit is open) and a standby is set. */
  private failingOver(hold: MailHold | undefined): boolean {
    return !!hold && !hold.until && this.standbyConfigured;
  }

  private of(relay: RelayRole): MailTransport {
    return relay === RelayRole.STANDBY ? this.standby : this.primary;
  }

  protected current(): MailTransport {
    return this.primary;
  }
}
