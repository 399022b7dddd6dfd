import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '@herald/contracts';
import { addressOn, type AudienceMember } from '../../audiences/audience-source.port';
import { AudienceSources } from '../../audiences/audience-sources';
import { DeliveryChannels } from '../../channels/delivery-channels';
import { Sql, type SqlStatement } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import type { JobEventsSubscriber } from '../../job-events/ingestion/job-events-subscriber';
import { deliveredTypeOf, type NotifiedEvent } from '../../event-types/notification-type';
import { ApplicationsService } from '../../users/applications/applications.service';
import { isDigest, NotificationFrequency } from '../../users/frequency/notification-frequency';
import { QuietHoursService } from '../../users/quiet-hours/quiet-hours.service';
import { MailCap } from '../cap/mail-cap';
import { Digests, type DigestItem } from '../digests/digests';
import { NotificationEntity } from '../entities/notification.entity';
import { JobHistory } from '../history/job-history';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox, type NewDelivery } from '../outbox/delivery-outbox';
import { claimFor, DELIVERY_TAKER, type DeliveryTaker } from '../outbox/delivery-taker';
import { together } from '../../database/together';

/**
 * Whether how often the person wants mails lets this event through:
 * FIRST_AND_FIXED keeps a failure only when it is the first in a row (no history
 * note, or a note counting 1); the fix is a JOB_RECOVERED, a type of its own.
 */
export function wantsMailAbout(recipient: Pick<AudienceMember, 'frequency'>, event: NotifiedEvent): boolean {
  if (recipient.frequency !== NotificationFrequency.FIRST_AND_FIXED || event.type !== JobEventType.JOB_FAILED) return true;
  return (event.history?.failuresInRow ?? 1) === 1;
}

/**
 * Plans the mails of new events inside the transaction that records them
 * (ingestion hands them over): per event the notification (what to render) and
 * one delivery per recipient and channel that reaches them — every audience
 * source's members (AudienceSources), a person on each channel that has an
 * address for them (DeliveryChannels, `addressOf`), any other member on its own
 * channel — if the transaction commits, the messages will be sent.
 *
 * When this process's dispatcher offers room for them, the deliveries are written
 * already claimed by it; once the transaction has committed they are announced
 * (DeliveriesDueEvent) with the hand-off: no claim, no reading back. Otherwise
 * they wait, PENDING, and the announcement makes a dispatcher claim them.
 * Mails beyond a person's cap (MailCap) are not written: their events wait for
 * the summary at the end of the person's cap window. Mails their quiet hours hold
 * (QuietHoursService: one call per event, "hold until T" per recipient) wait as
 * well, and leave when the quiet ends (Digests.hold).
 */
@Injectable()
export class NotificationPlanner implements JobEventsSubscriber {
  /** A batch's events as stored, in one statement of fixed text (rows as one JSON parameter); created_at is the column's default. */
  private readonly insertNotifications: SqlStatement;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly audiences: AudienceSources,
    private readonly applications: ApplicationsService,
    private readonly outbox: DeliveryOutbox,
    @Inject(DELIVERY_TAKER) private readonly taker: DeliveryTaker,
    private readonly channels: DeliveryChannels,
    private readonly transactions: Transactions,
    private readonly events: EventEmitter2,
    private readonly history: JobHistory,
    private readonly digests: Digests,
    private readonly cap: MailCap,
    private readonly quietHours: QuietHoursService,
  ) {
    const sql = new Sql(dataSource);
    this.insertNotifications = sql.prepare(
      `INSERT INTO ${sql.table(NotificationEntity)} (event_id, event_type, payload)
       SELECT v.event_id, v.event_type, v.payload FROM ${sql.jsonRows({ event_id: 'varchar', event_type: 'varchar', payload: 'text' }, { ordinal: 'n' })} ORDER BY v.n`,
    );
  }

  /** How many deliveries each event brings, in order. */
  async recorded(events: JobEvent[], manager: EntityManager): Promise<number[]> {
    // Events of one batch about the same application and type have the same
    // recipients, until an APPLICATION_CREATED records the application's managers.
    const recipientsOf = new Map<string, AudienceMember[]>();
    const notifications: Pick<NotificationEntity, 'eventId' | 'eventType' | 'payload'>[] = [];
    const planned: NewDelivery[] = [];
    /** The event (index in `events`) of each planned delivery. */
    const eventOf = new Map<NewDelivery, number>();
    const counts: number[] = [];
    // People who want a digest: their events wait for the end of their window.
    const digestItems: DigestItem[] = [];
    // Mails quiet hours hold, and until when; who is held, per (recipients found, type).
    const quiet: Array<{ delivery: NewDelivery; until: Date }> = [];
    const heldOf = new Map<AudienceMember[], Map<string, Map<string, Date>>>();
    // What the job outcome history says (still failing, fixed) is stored with the event and decides its type.
    const notes = await this.history.record(events, manager);
    const channels = this.channels.all;
    /** The channels any delivery of this batch goes through. */
    const used = new Set<string>();
    for (const received of events) {
      const note = notes.get(received.id);
      const event: NotifiedEvent = note ? { ...received, history: note } : received;
      const type = deliveredTypeOf(event);
      if (event.type === JobEventType.APPLICATION_CREATED) {
        const application = await this.applications.ensureApplication(event.application.id, event.application.name, manager);
        if (event.managers?.length) {
          await this.applications.recordManagers(application, event.managers, manager);
          // The application's people changed: what this batch found out about it before is stale.
          for (const key of recipientsOf.keys()) if (key.startsWith(`${event.application.id}\n`)) recipientsOf.delete(key);
        }
      }
      const key = `${event.application.id}\n${type}`;
      let recipients = recipientsOf.get(key);
      if (!recipients) {
        recipients = await this.audiences.membersFor(event.application.id, type, manager);
        recipientsOf.set(key, recipients);
      }
      notifications.push({ eventId: event.id, eventType: type, payload: JSON.stringify(event) });
      const receiving = recipients.filter((r) => wantsMailAbout(r, event));
      const byType = heldOf.get(recipients) ?? heldOf.set(recipients, new Map()).get(recipients)!;
      const held = byType.get(type) ?? byType.set(type, await this.quietHours.heldUntil(recipients.map((r) => ({ externalId: r.recipientId, timeZone: r.timeZone })), event.application.id, type, manager)).get(type)!;
      counts.push(0);
      for (const r of receiving) {
        for (const c of channels) {
          const address = addressOn(c, r.reach);
          if (address === null) continue;
          const channel = c.name;
          if (isDigest(r.frequency)) {
            digestItems.push({ recipient: r, channel, address, eventId: event.id, eventType: type, applicationId: event.application.id });
            continue;
          }
          const delivery: NewDelivery = {
            eventIds: [event.id],
            eventType: type,
            applicationId: event.application.id,
            recipientId: r.recipientId,
            channel,
            address,
            recipientName: r.displayName,
            recipientLocale: r.locale,
            recipientTimeZone: r.timeZone,
          };
          const until = held.get(r.recipientId);
          if (until) {
            quiet.push({ delivery, until });
            continue;
          }
          used.add(channel);
          planned.push(delivery);
          eventOf.set(delivery, counts.length - 1);
        }
      }
    }
    await this.digests.collect(manager, digestItems);
    await this.digests.hold(manager, quiet);
    // Beyond a person's cap, mails are folded into the summary at the end of their window. The
    // notifications are written meanwhile (neither reads the other: one round trip on PostgreSQL).
    const [{ send: deliveries, folded }] = await together([
      this.cap.admit(manager, planned),
      notifications.length &&
        this.insertNotifications.query(manager, [JSON.stringify(notifications.map((n) => ({ event_id: n.eventId, event_type: n.eventType, payload: n.payload })))]),
    ]);
    await this.digests.fold(manager, folded);
    for (const d of deliveries) counts[eventOf.get(d)!]++;
    if (!deliveries.length) return counts;
    const claim = claimFor(this.taker, deliveries.length, channels.filter((c) => used.has(c.name)).map((c) => c.name));
    const inserted = await this.outbox.insert(manager, deliveries, claim);
    const handOff = claim && {
      owner: claim.owner,
      deliveries: inserted,
      payloads: new Map(notifications.map((n) => [n.eventId, n.payload])),
    };
    this.transactions.afterCommit(manager, () => this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(inserted.length, handOff)));
    return counts;
  }
}
