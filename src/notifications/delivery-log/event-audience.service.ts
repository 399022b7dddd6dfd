import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { JobEventType } from '@herald/contracts';
import { deliveredTypeOf, type NotifiedEvent } from '../../event-types/notification-type';
import type { AudienceView } from '../../audiences/audience-source.port';
import { AudienceSources } from '../../audiences/audience-sources';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DigestEntryEntity, FoldKind } from '../entities/digest-entry.entity';
import { AudienceOutcome, EventAudienceMemberModel } from './event-audience.model';

/**
 * "Why didn't I get a mail?" for one event: everyone it concerned — the recipients
 * it was sent to, and the application's whole audience now (every audience
 * source's: its managers, its subscribed addresses, …) — with what it
 * became for each. What was planned is read from the deliveries and the digests
 * waiting; why someone has no mail is read from their settings now (what they
 * were when the event came is not kept), and says so.
 */
@Injectable()
export class EventAudienceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audiences: AudienceSources,
  ) {}

  async of(event: NotifiedEvent): Promise<EventAudienceMemberModel[]> {
    const type = deliveredTypeOf(event);
    const [deliveries, pending, managers] = await Promise.all([
      this.deliveriesOf(event.id),
      this.dataSource.getRepository(DigestEntryEntity).find({ where: { eventId: event.id }, order: { id: 'ASC' } }),
      this.audiences.audienceOf(event.application.id, type),
    ]);
    const byPerson = new Map(managers.map((m) => [m.recipientId, m]));
    const answered = new Set<string>();
    const audience: EventAudienceMemberModel[] = [];
    for (const d of deliveries) {
      answered.add(d.recipientId);
      const [outcome, what] =
        d.fold === FoldKind.SUMMARY
          ? [AudienceOutcome.IN_CAP_SUMMARY, 'folded by the mail cap into summary mail']
          : d.fold === FoldKind.DIGEST
            ? [AudienceOutcome.IN_DIGEST, 'listed in digest mail']
            : [AudienceOutcome.MAILED, 'mail'];
      // Checked again when it was to go, and its person no longer received it.
      const cancelled = d.status === DeliveryStatus.CANCELLED;
      const mail = d.fold === FoldKind.SUMMARY ? 'summary mail' : d.fold === FoldKind.DIGEST ? 'digest mail' : 'mail';
      audience.push(
        member(d.recipientId, d.recipientName, d.address, byPerson.get(d.recipientId), {
          outcome: cancelled ? AudienceOutcome.CANCELLED : outcome,
          deliveryId: String(d.id),
          deliveryStatus: d.status,
          detail: cancelled ? `${mail} ${d.id} cancelled before it was sent: ${d.lastError}` : `${what} ${d.id}, ${d.status}`,
        }),
      );
    }
    for (const p of pending) {
      if (answered.has(p.recipientId)) continue;
      answered.add(p.recipientId);
      const summary = p.kind === FoldKind.SUMMARY;
      const quiet = p.kind === FoldKind.QUIET;
      audience.push(
        member(p.recipientId, p.recipientName, p.address, byPerson.get(p.recipientId), {
          outcome: summary ? AudienceOutcome.CAP_SUMMARY_PENDING : quiet ? AudienceOutcome.QUIET_HOURS_PENDING : AudienceOutcome.DIGEST_PENDING,
          digestWindowEnd: p.windowEnd,
          detail: summary
            ? `folded by the mail cap (they had the most mails it lets through in their window): waiting for the window's summary mail, which leaves at ${p.windowEnd.toISOString()}`
            : quiet
              ? `held by their quiet hours: leaves when they end, at ${p.windowEnd.toISOString()}`
              : `waiting for their digest, which leaves at ${p.windowEnd.toISOString()}`,
        }),
      );
    }
    for (const m of managers) {
      if (answered.has(m.recipientId)) continue;
      audience.push(member(m.recipientId, m.displayName, m.address, m, whyNoMail(m, event)));
    }
    return audience;
  }

  /** The deliveries that carry the event, and whether each is a digest or a cap summary (one query each). */
  private async deliveriesOf(eventId: string): Promise<Array<DeliveryEntity & { fold: FoldKind | null }>> {
    const rows = await this.dataSource
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .innerJoin(DeliveryEventEntity, 'e', 'e.deliveryId = d.id AND e.eventId = :eventId', { eventId })
      .orderBy('d.id', 'ASC')
      .getMany();
    if (!rows.length) return [];
    const digests = await this.dataSource.getRepository(DigestEntity).find({ select: { deliveryId: true, kind: true }, where: { deliveryId: In(rows.map((d) => d.id)) } });
    const kinds = new Map(digests.map((g) => [g.deliveryId, g.kind]));
    return rows.map((d) => Object.assign(d, { fold: kinds.get(d.id) ?? null }));
  }
}

/** Why a member of the audience has no mail and no digest waiting for the event, from their settings now (their source says why they do not receive it). */
function whyNoMail(m: AudienceView, event: NotifiedEvent): Partial<EventAudienceMemberModel> & Pick<EventAudienceMemberModel, 'outcome' | 'detail'> {
  if (m.notReceiving) return { outcome: AudienceOutcome.NOT_RECEIVING, reason: m.notReceiving.reason, detail: m.notReceiving.detail };
  const failures = event.history?.failuresInRow ?? 1;
  if (m.frequency === NotificationFrequency.FIRST_AND_FIXED && event.type === JobEventType.JOB_FAILED && failures > 1) {
    return {
      outcome: AudienceOutcome.FIRST_AND_FIXED_SKIPPED,
      detail: `no mail: failure ${failures} in a row, and they get the first failure and the fix only (FIRST_AND_FIXED)`,
    };
  }
  return {
    outcome: AudienceOutcome.NOT_PLANNED,
    detail: 'no mail: they receive this type now, but did not when the event came (they became a manager, got an address or changed their settings since)',
  };
}

function member(
  userId: string,
  displayName: string | null,
  email: string | null,
  now: AudienceView | undefined,
  what: Partial<EventAudienceMemberModel> & Pick<EventAudienceMemberModel, 'outcome' | 'detail'>,
): EventAudienceMemberModel {
  return Object.assign(new EventAudienceMemberModel(), {
    userId,
    displayName,
    email,
    reason: null,
    frequency: now?.frequency ?? null,
    deliveryId: null,
    deliveryStatus: null,
    digestWindowEnd: null,
    ...what,
  });
}
