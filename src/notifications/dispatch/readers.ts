import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DeliveryChannels } from '../../channels/delivery-channels';
import { Transactions } from '../../database/transactions';
import type { NotificationType } from '../../event-types/notification-type';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { addressOn, type ReaderAnswer, type ReaderQuestion } from '../../audiences/audience-source.port';
import { AudienceSources, reasonsNotRead } from '../../audiences/audience-sources';
import { AddressSuspensions, addressKey, suspendedReason } from '../../users/suspensions/address-suspensions';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DeliveryStatus } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { type ClaimedDelivery, DeliveryOutbox, type Outcome } from '../outbox/delivery-outbox';

/** One event of a mail about several (a digest, a summary), with what the check asks about it. */
interface ListedEvent {
  eventId: string;
  eventType: string;
  applicationId: string;
}

/**
 * The check before a mail goes: planning chose its person when the event came,
 * but the mail may leave much later (the relay down, SMTP not configured, a
 * retry). Each batch the dispatcher is about to send — a claim's, or a hand-off
 * from planning — is asked again what planning asked, of the audience source that
 * owns each recipient (AudienceSources; one query per source: for people, still
 * a manager of the application, notifications on, the type not switched off, an
 * email address; for a subscribed address, still subscribed and confirmed, the
 * type still wanted) — and that address not suspended after
 * bounces (users/suspensions; but for the one mail that tries it again after the
 * cooldown). A mail whose person no longer reads it ends CANCELLED with the reason
 * (never sent, no attempt spent, not a failure); the others go to the person as
 * they are now (their address on the delivery's channel, name, language, and zone
 * for an event's own mail; a digest keeps the zone of its window).
 *
 * A digest or summary is checked event by event (its events' types and
 * applications: one more query, only for batches that hold one): the events its
 * person no longer reads are taken out of it, each into a CANCELLED delivery of
 * its own saying why, so that the delivery log and event(id) tell it; with none
 * left, it is CANCELLED itself.
 */
@Injectable()
export class Readers {
  private readonly logger = new Logger('Readers');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audiences: AudienceSources,
    private readonly outbox: DeliveryOutbox,
    private readonly transactions: Transactions,
    private readonly channels: DeliveryChannels,
    private readonly suspensions: AddressSuspensions,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  /**
   * The deliveries of `batch` (claimed by `owner`) that still have a reader,
   * addressed to them as they are now; the others are recorded CANCELLED. If the
   * check cannot be made, the batch is given back (PENDING: the next claim checks
   * it again) and the error thrown.
   */
  async recheck(batch: ClaimedDelivery[], owner: string): Promise<ClaimedDelivery[]> {
    if (!batch.length) return batch;
    try {
      return await this.check(batch, owner);
    } catch (error) {
      await this.outbox.release(batch.map((d) => d.id), owner).catch(() => undefined);
      throw error;
    }
  }

  private async check(batch: ClaimedDelivery[], owner: string): Promise<ClaimedDelivery[]> {
    const listed = await this.eventsOfDigests(batch.filter((d) => d.kind !== 'EVENT'));
    const questions: ReaderQuestion[] = [];
    for (const d of batch) {
      const events = listed.get(d.id) ?? [d];
      for (const e of events) questions.push({ recipientId: d.recipientId, applicationId: e.applicationId, eventType: e.eventType as NotificationType });
    }
    const answers = await this.audiences.readersOf(questions);
    const send: ClaimedDelivery[] = [];
    const cancelled: Array<Extract<Outcome, { status: DeliveryStatus.CANCELLED }>> = [];
    let next = 0;
    for (const d of batch) {
      const events = listed.get(d.id) ?? [d];
      const mine = answers.slice(next, (next += events.length));
      const reader = mine.find((a) => a.reads);
      if (!reader?.reads) {
        cancelled.push({ delivery: d, status: DeliveryStatus.CANCELLED, reply: null, error: reasonsNotRead(mine) });
        continue;
      }
      const address = addressOn(this.channels.get(d.channel), reader.reach) ?? d.address;
      // An address suspended after bounces (the reader's mail address, on a channel that sends to it) gets no mail, but the one that tries it again after the cooldown.
      const suspension = reader.suspension?.address === addressKey(address) ? reader.suspension : null;
      if (suspension && !(await this.suspensions.tryAgain(suspension, d.id))) {
        cancelled.push({ delivery: d, status: DeliveryStatus.CANCELLED, reply: null, error: suspendedReason(suspension) });
        continue;
      }
      const now: ClaimedDelivery = {
        ...d,
        address,
        recipientName: reader.displayName,
        recipientLocale: reader.locale,
        recipientTimeZone: d.kind !== 'EVENT' ? d.recipientTimeZone : reader.timeZone, // a digest is written in its window's zone
      };
      if (mine.every((a) => a.reads)) send.push(now);
      else send.push(await this.leaveOut(now, events as ListedEvent[], mine));
    }
    if (cancelled.length) {
      await this.outbox.record(cancelled, owner);
      this.metrics?.cancelled(cancelled.map((c) => c.delivery));
      this.logger.log(`${cancelled.length} deliveries CANCELLED before sending: their people no longer receive them (${cancelled[0].error}${cancelled.length > 1 ? ', …' : ''})`);
    }
    return send;
  }

  /** The events of these mails about several, in order, with each one's type and application (one query; none without such mails). */
  private async eventsOfDigests(digests: ClaimedDelivery[]): Promise<Map<number, ListedEvent[]>> {
    const listed = new Map<number, ListedEvent[]>();
    if (!digests.length) return listed;
    const rows = await this.dataSource
      .getRepository(DeliveryEventEntity)
      .createQueryBuilder('e')
      .innerJoin(NotificationEntity, 'n', 'n.event_id = e.event_id')
      .select(['e.delivery_id AS "deliveryId"', 'e.event_id AS "eventId"', 'n.event_type AS "eventType"', 'n.payload AS "payload"'])
      .where({ deliveryId: In(digests.map((d) => d.id)) })
      .orderBy('e.delivery_id')
      .addOrderBy('e.position')
      .getRawMany<{ deliveryId: number | string; eventId: string; eventType: string; payload: string }>();
    for (const row of rows) {
      const applicationId = (JSON.parse(row.payload) as { application: { id: string } }).application.id;
      const events = listed.get(Number(row.deliveryId)) ?? [];
      events.push({ eventId: row.eventId, eventType: row.eventType, applicationId });
      listed.set(Number(row.deliveryId), events);
    }
    return listed;
  }

  /**
   * A digest or summary with some events its person no longer reads: in one
   * transaction, it keeps the others (in order) and each left-out event gets a
   * CANCELLED delivery of its own with the reason. Answers the digest as narrowed.
   */
  private async leaveOut(d: ClaimedDelivery, events: ListedEvent[], answers: ReaderAnswer[]): Promise<ClaimedDelivery> {
    const kept = events.filter((_, i) => answers[i].reads);
    const left = events.flatMap((e, i) => {
      const a = answers[i];
      return a.reads ? [] : [{ event: e, reason: a.reason }];
    });
    await this.transactions.run(async (manager) => {
      await this.outbox.narrow(manager, d, kept.map((e) => e.eventId), kept[0]);
      await this.outbox.writeCancelled(
        manager,
        left.map(({ event, reason }) => ({
          reason,
          delivery: {
            eventIds: [event.eventId],
            eventType: event.eventType,
            applicationId: event.applicationId,
            recipientId: d.recipientId,
            channel: d.channel,
            address: d.address,
            recipientName: d.recipientName,
            recipientLocale: d.recipientLocale,
            recipientTimeZone: d.recipientTimeZone,
          },
        })),
      );
    });
    this.metrics?.cancelled(left.map(() => d)); // its events left out, on its channel
    return { ...d, eventId: kept[0].eventId, eventType: kept[0].eventType, applicationId: kept[0].applicationId };
  }
}
