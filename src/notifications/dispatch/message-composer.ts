import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { mailLocale } from '../../i18n/languages';
import { FALLBACK_TIME_ZONE } from '../../i18n/time-formats';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import type { SmtpSettings } from '../../settings/smtp-settings/smtp-settings';
import { encodeAlternative, type EncodedBody, type EncodedMessage, withHeaders } from '../../smtp/mime-message';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { NotificationEntity } from '../entities/notification.entity';
import type { ClaimedDelivery } from '../outbox/delivery-outbox';
import { PreferenceLinks } from '../preference-links/preference-links';
import { MailRenderer, type MailReader } from '../rendering/mail-renderer';

/** A message ready for the relay: its envelope, its bytes and its Message-ID. */
export interface ComposedMail extends EncodedMessage {
  messageId: string;
}

/** An event's mail, rendered and MIME-encoded once for all its recipients. */
interface PreparedMail extends EncodedBody {
  subject: string;
}

interface CachedEvent {
  event: JobEvent;
  /** Roughly what this entry holds in memory (payload and encoded body). */
  bytes: number;
  /** 16 hex digits derived from the event id: in Message-IDs and the MIME boundary. */
  tag: string;
  /** The mail per gateway URI, locale and time zone, being prepared or ready (shared by concurrent sends). */
  prepared: Map<string, Promise<PreparedMail>>;
}

/** What the cache of events may hold at most: a few large events (64 KB log excerpts) must not fill the heap. */
const CACHE_BYTES = 24 * 1024 * 1024;

function senderDomain(sender: string | null): string {
  return /@([^>\s]+)>?\s*$/.exec(sender ?? '')?.[1] ?? 'herald.invalid';
}

/**
 * Turns a claimed delivery into the message for one recipient. The event's
 * mail is rendered and MIME-encoded once per event, language and time zone
 * (and gateway URI): a fan-out renders once per group of readers; each
 * recipient's message is that body under a header block of its own (the SMTP
 * gateway encodes names and subjects, `withHeaders`): addressed to that
 * recipient alone, with a Message-ID derived from the delivery (a re-send after
 * a crash carries the same one) and the headers of automated mail.
 */
@Injectable()
export class MessageComposer {
  /** Events of recently claimed deliveries, oldest first (a Map keeps insertion order). */
  private readonly events = new Map<string, CachedEvent>();
  private readonly capacity: number;
  private cachedBytes = 0;
  /** Mail locale by recipient locale and default language (a few pairs; resolving one parses tags). */
  private readonly locales = new Map<string, string>();
  /** The mail cap, for the summary's words ("at most 20 mails every 10 minutes"). */
  private readonly cap: HeraldConfig['mailCap'];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly renderer: MailRenderer,
    config: HeraldConfig,
    private readonly links: PreferenceLinks,
    private readonly defaults: MailDefaultsService,
    private readonly clock: Clock,
  ) {
    this.cap = config.mailCap;
    // Room for two claims' worth of events: the batch being sent and the next one.
    this.capacity = Math.max(256, 2 * config.dispatch.batchSize);
  }

  /** Loads, in one query, the events of these deliveries that are not at hand yet. */
  async preload(deliveries: ClaimedDelivery[]): Promise<void> {
    const missing = [...new Set(deliveries.map((d) => d.eventId))].filter((id) => !this.events.has(id));
    if (!missing.length) return;
    const rows = await this.dataSource.getRepository(NotificationEntity).find({ select: { eventId: true, payload: true }, where: { eventId: In(missing) } });
    for (const row of rows) this.remember(row.eventId, row.payload);
  }

  async compose(d: ClaimedDelivery, settings: SmtpSettings): Promise<ComposedMail> {
    const cached = this.events.get(d.eventId) ?? (await this.load(d.eventId));
    if (d.summary) return this.addressed(d, settings, cached.tag, await this.prepareSummary(d, cached.tag, settings.gatewayUri));
    if (d.digest) return this.addressed(d, settings, cached.tag, await this.prepareDigest(d, cached.tag, settings.gatewayUri));
    const reader = await this.readerOf(d);
    const key = `${settings.gatewayUri}\n${reader.locale}\n${reader.timeZone}`;
    let prepared = cached.prepared.get(key);
    if (!prepared) {
      const preparing = this.prepare(cached, settings.gatewayUri, reader).then((mail) => {
        if (this.events.get(d.eventId) === cached) {
          cached.bytes += mail.body.length;
          this.account(mail.body.length);
        }
        return mail;
      });
      cached.prepared.set(key, (prepared = preparing));
      preparing.catch(() => cached.prepared.get(key) === preparing && cached.prepared.delete(key)); // try again next time
    }
    return this.addressed(d, settings, cached.tag, await prepared);
  }

  /** The recipient's message: the prepared body under a header block of its own, dated now (the Clock). */
  private addressed(d: ClaimedDelivery, settings: SmtpSettings, tag: string, mail: PreparedMail): ComposedMail {
    const domain = senderDomain(settings.sender);
    const messageId = `<herald.${tag}.${d.id}@${domain}>`;
    const now = this.clock.now();
    // The recipient's own preferences links: their token in the shared body's links, and List-Unsubscribe.
    const own = this.links.personalize(mail.body, d.id, settings.gatewayUri, now);
    const message = withHeaders({ contentType: mail.contentType, body: own.body }, tag, [
      { key: 'From', value: settings.sender! },
      { key: 'To', value: d.recipientName ? { name: d.recipientName, address: d.recipientEmail } : d.recipientEmail },
      { key: 'Subject', value: mail.subject },
      { key: 'Message-ID', value: messageId },
      { key: 'Auto-Submitted', value: 'auto-generated' },
      { key: 'List-Id', value: `Herald job notifications <notifications.${domain}>` },
      ...own.headers,
      { key: 'X-Herald-Event-Id', value: d.eventId },
      { key: 'X-Herald-Delivery-Id', value: String(d.id) },
    ], now);
    return { ...message, messageId };
  }

  private async load(eventId: string): Promise<CachedEvent> {
    const row = await this.dataSource.getRepository(NotificationEntity).findOneByOrFail({ eventId });
    return this.remember(eventId, row.payload);
  }

  /** Keeps an event at hand for its deliveries (from the payload as stored). */
  remember(eventId: string, payload: string): CachedEvent {
    const known = this.events.get(eventId);
    if (known) return known;
    const cached: CachedEvent = { event: JSON.parse(payload) as JobEvent, bytes: 2 * payload.length, tag: createHash('sha256').update(eventId).digest('hex').slice(0, 16), prepared: new Map() };
    this.events.set(eventId, cached);
    this.account(cached.bytes);
    return cached;
  }

  /** Counts memory taken (or given back) and evicts the oldest events while over budget. */
  private account(bytes: number): void {
    this.cachedBytes += bytes;
    while (this.events.size > 1 && (this.events.size > this.capacity || this.cachedBytes > CACHE_BYTES)) {
      const [oldest, entry] = this.events.entries().next().value!;
      this.events.delete(oldest);
      this.cachedBytes -= entry.bytes;
    }
  }

  /** The events of a mail about several, in order. */
  private async eventsOf(d: ClaimedDelivery): Promise<NotifiedEvent[]> {
    const ids = (await this.dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId: d.id }, order: { position: 'ASC' } })).map((e) => e.eventId);
    const rows = await this.dataSource.getRepository(NotificationEntity).find({ select: { eventId: true, payload: true }, where: { eventId: In(ids) } });
    const payloads = new Map(rows.map((r) => [r.eventId, r.payload]));
    return ids.flatMap((id) => (payloads.has(id) ? [JSON.parse(payloads.get(id)!) as NotifiedEvent] : []));
  }

  /** A cap summary is one person's too: in their language and zone, with its window (not cached). */
  private async prepareSummary(d: ClaimedDelivery, tag: string, gatewayUri: string | null): Promise<PreparedMail> {
    const events = await this.eventsOf(d);
    const window = await this.dataSource.getRepository(DigestEntity).findOneByOrFail({ deliveryId: d.id });
    const reader = await this.readerOf(d);
    const rendered = this.renderer.renderSummary(
      events,
      { start: window.windowStart, end: window.windowEnd, cap: this.cap?.count ?? 0 },
      { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) },
      reader,
    );
    return { subject: rendered.subject, ...encodeAlternative(tag, rendered.text, rendered.html) };
  }

  /** A digest is one person's: rendered for its delivery alone, from all its events in order, in their language and zone (not cached). */
  private async prepareDigest(d: ClaimedDelivery, tag: string, gatewayUri: string | null): Promise<PreparedMail> {
    const events = await this.eventsOf(d);
    const rendered = this.renderer.renderDigest(events, { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) }, await this.readerOf(d));
    return { subject: rendered.subject, ...encodeAlternative(tag, rendered.text, rendered.html) };
  }

  /** Whom the mail is written for: the recipient's language and zone as planned, else the admin's defaults. */
  private async readerOf(d: ClaimedDelivery): Promise<Required<MailReader>> {
    const defaults = await this.defaults.get();
    const pair = `${d.recipientLocale}\n${defaults.language}`;
    let locale = this.locales.get(pair);
    if (!locale) this.locales.set(pair, (locale = mailLocale(d.recipientLocale, defaults.language)));
    return { locale, timeZone: d.recipientTimeZone ?? defaults.timeZone ?? FALLBACK_TIME_ZONE };
  }

  /** Renders the event for one reader and encodes the whole message once; keeps what follows its headers. */
  private async prepare(cached: CachedEvent, gatewayUri: string | null, reader: MailReader): Promise<PreparedMail> {
    const rendered = this.renderer.render(cached.event, { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) }, reader);
    return { subject: rendered.subject, ...encodeAlternative(cached.tag, rendered.text, rendered.html) };
  }
}
