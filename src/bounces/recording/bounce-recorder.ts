import { Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { DeliveryBounces } from '../../notifications/delivery-log/delivery-bounces';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { AddressSuspensions, type BounceVerdict, UNKNOWN_USER_STATUSES } from '../../users/suspensions/address-suspensions';
import type { BouncedRecipient, BounceReading } from '../reports/report-reading';
import { AddressSuspendedEvent } from './address-suspended.event';

/**
 * The Message-IDs Herald writes (src/email/message-composer.ts): `<herald.<delivery id>.<16 hex>@<domain>>`, and
 * `<herald.<16 hex>.<delivery id>@<domain>>`, as earlier versions wrote them (such a mail may still bounce).
 */
const HERALD_MESSAGE_ID = /^<herald\.(?:\d+\.[0-9a-f]{16}|[0-9a-f]{16}\.\d+)@[^<>\s]+>$/;

/** Whether a Message-ID is of the form Herald gives its mails (the report is about one of them). */
export function isHeraldMessageId(messageId: string): boolean {
  return HERALD_MESSAGE_ID.test(messageId);
}

/** What recording a bounce did. */
export type Recorded =
  | { outcome: 'BOUNCED'; deliveryId: number; address: string; recipient: BouncedRecipient; verdict: BounceVerdict }
  /** The delivery was not SENT any more: BOUNCED by an earlier report (or never sent). */
  | { outcome: 'ALREADY_RECORDED'; deliveryId: number }
  /**
   * The report is about the delivery's mail but names none of its failed recipients as the
   * delivery's address (nor as the address before forwarding): another address the mail
   * reached through it — a member of the list it went to, a forward's target. Nothing changes.
   */
  | { outcome: 'OTHER_RECIPIENT'; deliveryId: number }
  /** A Message-ID of Herald's form that no delivery carries (deleted, or another Herald's). */
  | { outcome: 'UNKNOWN_MESSAGE' }
  /** A report about a mail Herald did not send (someone else sending from the mailbox): left to its people. */
  | { outcome: 'NOT_HERALDS' };

/**
 * Records a bounce: the delivery its Message-ID names becomes BOUNCED with the
 * status, diagnostic and reporting server, and its address is counted (and maybe
 * suspended) — in one transaction, with whatever the caller adds to it (the
 * report's claim marked done), so a report read twice counts once.
 */
@Injectable()
export class BounceRecorder {
  private readonly logger = new Logger('Bounces');

  constructor(
    private readonly transactions: Transactions,
    private readonly deliveries: DeliveryBounces,
    private readonly suspensions: AddressSuspensions,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  async record(reading: BounceReading, within?: (manager: EntityManager, recorded: Recorded) => Promise<void>): Promise<Recorded> {
    const recorded = await this.transactions.run(async (manager) => {
      const recorded = await this.apply(manager, reading);
      await within?.(manager, recorded);
      return recorded;
    });
    if (recorded.outcome === 'BOUNCED') this.announce(recorded, reading);
    return recorded;
  }

  private async apply(manager: EntityManager, reading: BounceReading): Promise<Recorded> {
    if (!isHeraldMessageId(reading.originalMessageId)) return { outcome: 'NOT_HERALDS' };
    const delivery = await this.deliveries.byMessageId(reading.originalMessageId, manager);
    if (!delivery) return { outcome: 'UNKNOWN_MESSAGE' };
    const recipient = recipientOf(reading.recipients, delivery.address);
    if (!recipient) {
      this.logger.log(`a report about delivery ${delivery.id} names ${reading.recipients.map((r) => r.address).join(', ')}, not its address: nothing recorded (a list member or a forward's target)`);
      return { outcome: 'OTHER_RECIPIENT', deliveryId: delivery.id };
    }
    const hard = recipient.bounceClass === 'HARD';
    const at = this.clock.date();
    const marked = await this.deliveries.markBounced(manager, delivery.id, { status: recipient.status, hard, diagnosticCode: recipient.diagnosticCode, reportingMta: reading.reportingMta, at });
    if (!marked) return { outcome: 'ALREADY_RECORDED', deliveryId: delivery.id };
    const { verdict } = await this.suspensions.recordBounce(manager, delivery.address, {
      status: recipient.status,
      hard,
      diagnosticCode: recipient.diagnosticCode,
      reportingMta: reading.reportingMta,
      deliveryId: delivery.id,
    });
    return { outcome: 'BOUNCED', deliveryId: delivery.id, address: delivery.address, recipient, verdict };
  }

  /** After the commit: the log, the metrics, and the admins' summary (AddressSuspendedEvent). */
  private announce(recorded: Extract<Recorded, { outcome: 'BOUNCED' }>, reading: BounceReading): void {
    const { recipient, verdict, deliveryId, address } = recorded;
    const hard = recipient.bounceClass === 'HARD';
    this.metrics?.bounced(hard);
    this.logger.log(`delivery ${deliveryId} to ${address} BOUNCED (${hard ? 'hard' : 'soft'} ${recipient.status}${reading.reportingMta ? `, reported by ${reading.reportingMta}` : ''})${verdict === 'SUSPENDED' || verdict === 'RENEWED' ? `: ${address} is suspended` : ''}`);
    if (verdict !== 'SUSPENDED' && verdict !== 'RENEWED') return;
    this.metrics?.addressSuspended(verdict === 'RENEWED' ? 'renewed' : UNKNOWN_USER_STATUSES.includes(recipient.status) ? 'unknown_user' : 'repeated');
    this.events.emit(AddressSuspendedEvent.NAME, new AddressSuspendedEvent(address, recipient.status, recipient.diagnosticCode, reading.reportingMta, verdict === 'RENEWED', this.clock.date()));
  }
}

/**
 * The failed recipient that is the delivery's (its address, or the address before
 * forwarding); none when the report names only other addresses — a list's member,
 * a forward's target: their failure is not the delivery's address's.
 */
function recipientOf(recipients: BouncedRecipient[], email: string): BouncedRecipient | undefined {
  const wanted = email.trim().toLowerCase();
  return recipients.find((r) => r.address.toLowerCase() === wanted || r.originalAddress?.toLowerCase() === wanted);
}
