import { createHmac, hash, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { derivedKey, JwtSecret } from '../auth/jwt-secret';
import type { JobEvent } from '@herald/contracts';
import type { ChannelDelivery, DispatchContext } from '../channels/delivery-channel.port';
import { Clock } from '../clock/clock';
import { HeraldConfig } from '../config/herald-config';
import type { NotifiedEvent } from '../event-types/notification-type';
import { mailLocale } from '../i18n/languages';
import { FALLBACK_TIME_ZONE } from '../i18n/time-formats';
import { PreferenceLinks } from '../notifications/preference-links/preference-links';
import { type DraftTemplates, MailRenderer, type MailReader, type RenderedMail } from '../notifications/rendering/mail-renderer';
import { MailDefaultsService } from '../settings/mail-defaults/mail-defaults.service';
import { encodeAlternative, type EncodedBody, type EncodedMessage, encodeRelated, type MailHeader, withHeaders } from '../smtp/mime-message';
import { LOGO_CID } from '../notifications/rendering/mail-branding';
import type { MailRoute } from './mail-transport.port';
import { type MailThread, threadHeaders, threadOf } from './mail-thread';

/** A message ready for the relay: its envelope, its bytes and its Message-ID. */
export interface ComposedMail extends EncodedMessage {
  messageId: string;
  /** The body `raw` ends with when the messages to the mail's other recipients end with the same Buffer (not made per recipient). */
  body?: Buffer;
  /** For the delivery log: written with Herald's default template, an admin's having failed (RenderedMail.fallback). */
  note?: string;
}

/** An event's mail, rendered and MIME-encoded once for all its recipients. */
interface PreparedMail extends EncodedBody {
  subject: string;
  note?: string;
  /** A digest's or a summary's events (its conversation is theirs, when they share one). */
  events?: readonly NotifiedEvent[];
}

interface CachedEvent {
  event: JobEvent;
  /** Roughly what this entry holds in memory (payload and encoded bodies). */
  bytes: number;
  payloadLength: number;
  /** 16 hex digits derived from the event id: in Message-IDs and the MIME boundary. */
  tag: string;
  /** The mail per gateway URI, locale and time zone, being prepared or ready (shared by concurrent sends). */
  prepared: Map<string, Promise<PreparedMail>>;
}

/** What the cache of events may hold at most: a few large events (64 KB log excerpts) must not fill the heap. */
const CACHE_BYTES = 24 * 1024 * 1024;

/** 16 hex digits derived from the event id: in Message-IDs and the MIME boundary. */
const tagOf = (eventId: string) => hash('sha256', eventId, 'hex').slice(0, 16);

/** A preview: the mail as rendered (its links as the message has them), the message, and its headers. */
export interface PreviewedMail {
  rendered: RenderedMail;
  message: ComposedMail;
  headers: MailHeader[];
}

function senderDomain(sender: string | null): string {
  return /@([^>\s]+)>?\s*$/.exec(sender ?? '')?.[1] ?? 'herald.invalid';
}

/**
 * Turns an email delivery into the message for one recipient. The event's
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
  /** The version of the renderer's templates the mails at hand were composed with. */
  private version: number;
  /** Each event's conversation (for its installation), worked out once for all its recipients. */
  private readonly threads = new WeakMap<NotifiedEvent, { installation: string; thread: MailThread | null }>();
  /**
   * Keys the part of a delivery's Message-ID before its id (HMAC, from Herald's token
   * secret): a bounce report finds its delivery by the Message-ID, so one must not be
   * made up from another mail of the same event (consecutive ids) or from the event's id.
   */
  private readonly messageIdKey: KeyObject;
  /** The mail cap, for the summary's words ("at most 20 mails every 10 minutes"). */
  private readonly cap: HeraldConfig['mailCap'];

  constructor(
    private readonly renderer: MailRenderer,
    config: HeraldConfig,
    private readonly links: PreferenceLinks,
    private readonly defaults: MailDefaultsService,
    private readonly clock: Clock,
    secret: JwtSecret,
  ) {
    this.messageIdKey = derivedKey(secret.value, 'herald message-id v1');
    this.cap = config.mailCap;
    this.version = renderer.version;
    // Room for two claims' worth of events: the batch being sent and the next one.
    this.capacity = Math.max(256, 2 * config.dispatch.batchSize);
  }

  /** Loads, in one query, the events of these deliveries that are not at hand yet. */
  async preload(deliveries: readonly ChannelDelivery[], context: DispatchContext): Promise<void> {
    const missing = [...new Set(deliveries.map((d) => d.eventId))].filter((id) => !this.events.has(id));
    if (!missing.length) return;
    for (const [eventId, payload] of await context.payloads(missing)) this.remember(eventId, payload);
  }

  async compose(d: ChannelDelivery, route: MailRoute, context: DispatchContext): Promise<ComposedMail> {
    for (;;) {
      const version = this.renderer.version;
      const mail = await this.composeOnce(d, route, context);
      // The templates changed while this one was being prepared: never send a mail written with the old ones.
      if (this.renderer.version === version) return mail;
    }
  }

  private async composeOnce(d: ChannelDelivery, route: MailRoute, context: DispatchContext): Promise<ComposedMail> {
    const cached = this.events.get(d.eventId) ?? (await this.load(d.eventId, context));
    if (this.renderer.version !== this.version) this.forget();
    if (d.kind === 'SUMMARY') return this.addressed(d, route, cached.tag, await this.prepareSummary(d, cached.tag, route.gatewayUri, context), cached.event);
    if (d.kind === 'DIGEST') return this.addressed(d, route, cached.tag, await this.prepareDigest(d, cached.tag, route.gatewayUri, context), cached.event);
    const reader = await this.readerOf(d);
    if (this.renderer.version !== this.version) this.forget();
    const key = `${route.gatewayUri}\n${reader.locale}\n${reader.timeZone}`;
    let prepared = cached.prepared.get(key);
    if (!prepared) {
      const preparing = this.prepare(cached, route.gatewayUri, reader).then((mail) => {
        if (this.events.get(d.eventId) === cached) {
          // A body every recipient shares (no links of their own) is also kept in the relay's form (asSmtpData) while it is.
          const bytes = (this.links.herald ? 1 : 2) * mail.body.length;
          cached.bytes += bytes;
          this.account(bytes);
        }
        return mail;
      });
      cached.prepared.set(key, (prepared = preparing));
      preparing.catch(() => cached.prepared.get(key) === preparing && cached.prepared.delete(key)); // try again next time
    }
    return this.addressed(d, route, cached.tag, await prepared, cached.event);
  }

  /** The recipient's message: the prepared body under a header block of its own, dated `now` (the Clock's). */
  private addressed(
    d: Pick<ChannelDelivery, 'id' | 'eventId' | 'address' | 'recipientName'>,
    route: MailRoute,
    tag: string,
    mail: PreparedMail,
    event: NotifiedEvent,
    messageId?: string,
    now = this.clock.now(),
  ): ComposedMail & { headers: MailHeader[] } {
    const domain = senderDomain(route.sender);
    // The id first: Message-IDs in the order deliveries are written, so the index bounces look them up by grows at its
    // end (a random first part put each one on its own page of it: ~3× the cost of recording an outcome on SQLite).
    messageId ??= `<herald.${d.id}.${createHmac('sha256', this.messageIdKey).update(String(d.id)).digest('hex').slice(0, 16)}@${domain}>`;
    // Its conversation (mail-thread.ts): the installation is the console's address and the sender's domain.
    const thread = this.threadOf(mail.events, event, `${route.gatewayUri ?? ''}\n${domain}`, domain);
    // The recipient's own preferences links: their token in the shared body's links, and List-Unsubscribe.
    const own = this.links.personalize(mail.body, d.id, route.gatewayUri, now);
    const headers: MailHeader[] = [
      { key: 'From', value: route.sender },
      { key: 'To', value: d.recipientName ? { name: d.recipientName, address: d.address } : d.address },
      { key: 'Subject', value: mail.subject },
      { key: 'Message-ID', value: messageId },
      { key: 'Auto-Submitted', value: 'auto-generated' },
      ...(thread ? threadHeaders(thread, now) : [{ key: 'List-Id', value: `Herald job notifications <notifications.${domain}>` }]),
      ...own.headers,
      { key: 'X-Herald-Event-Id', value: d.eventId },
      { key: 'X-Herald-Delivery-Id', value: String(d.id) },
    ];
    const message = withHeaders({ contentType: mail.contentType, body: own.body }, tag, headers, now);
    return { ...message, messageId, headers, ...(own.body === mail.body && { body: own.body }), ...(mail.note && { note: mail.note }) };
  }

  /** The conversation of a digest's events, or of one event (kept with the event for its next recipients). */
  private threadOf(events: readonly NotifiedEvent[] | undefined, event: NotifiedEvent, installation: string, domain: string): MailThread | null {
    if (events) return threadOf(events, installation, domain);
    const known = this.threads.get(event);
    if (known?.installation === installation) return known.thread;
    const thread = threadOf([event], installation, domain);
    this.threads.set(event, { installation, thread });
    return thread;
  }

  /**
   * What the mail of `event` would be for this reader, addressed to `to`: rendered
   * from the saved templates or with a draft's parts, encoded as it would be sent
   * (a preview: nothing is cached or sent here). Its preferences links carry a
   * token of no delivery, which opens nothing.
   */
  preview(event: NotifiedEvent, route: MailRoute, reader: Required<MailReader>, to: { address: string; name: string | null }, draft: DraftTemplates | undefined, now: number): PreviewedMail {
    const tag = tagOf(event.id);
    const links = { gatewayUri: route.gatewayUri, preferencesLink: this.links.bodyLink(route.gatewayUri) };
    const rendered = draft ? this.renderer.renderDraft(event, links, reader, draft) : this.renderer.render(event, links, reader);
    const mail: PreparedMail = { subject: rendered.subject, ...this.encode(tag, rendered) };
    const message = this.addressed({ id: 0, eventId: event.id, address: to.address, recipientName: to.name }, route, tag, mail, event, `<herald.${tag}.preview.${now}@${senderDomain(route.sender)}>`, now);
    // The parts as the message carries them: the placeholder of the body's links is the token personalize() wrote.
    const placeholder = new URL(links.preferencesLink, 'http://herald.invalid').searchParams.get('t');
    const token = /[?&]t=([^>&\s]+)>/.exec(String(message.headers.find((h) => h.key === 'List-Unsubscribe')?.value ?? ''))?.[1];
    const own = (text: string) => (placeholder && token && this.links.herald ? text.split(placeholder).join(token) : text);
    return { rendered: { ...rendered, html: own(rendered.html), text: own(rendered.text) }, message, headers: message.headers };
  }

  private async load(eventId: string, context: DispatchContext): Promise<CachedEvent> {
    const payload = (await context.payloads([eventId])).get(eventId);
    if (payload === undefined) throw new Error(`event ${eventId} is not stored`);
    return this.remember(eventId, payload);
  }

  /** Keeps an event at hand for its deliveries (from the payload as stored). */
  remember(eventId: string, payload: string): CachedEvent {
    const known = this.events.get(eventId);
    if (known) return known;
    const cached: CachedEvent = { event: JSON.parse(payload) as JobEvent, bytes: 2 * payload.length, payloadLength: payload.length, tag: tagOf(eventId), prepared: new Map() };
    this.events.set(eventId, cached);
    this.account(cached.bytes);
    return cached;
  }

  /** The templates changed (a new version of their source): the mails composed with the old ones go; the events stay. */
  private forget(): void {
    for (const cached of this.events.values()) {
      const payloadBytes = 2 * cached.payloadLength;
      this.cachedBytes -= cached.bytes - payloadBytes;
      cached.bytes = payloadBytes;
      cached.prepared = new Map();
    }
    this.version = this.renderer.version;
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
  private async eventsOf(d: ChannelDelivery, context: DispatchContext): Promise<NotifiedEvent[]> {
    return (await context.eventsOf(d.id)).map((payload) => JSON.parse(payload) as NotifiedEvent);
  }

  /** A cap summary is one person's too: in their language and zone, with its window (not cached). */
  private async prepareSummary(d: ChannelDelivery, tag: string, gatewayUri: string | null, context: DispatchContext): Promise<PreparedMail> {
    const events = await this.eventsOf(d, context);
    const window = await context.windowOf(d.id);
    const reader = await this.readerOf(d);
    const rendered = this.renderer.renderSummary(
      events,
      { start: window.start, end: window.end, cap: this.cap?.count ?? 0 },
      { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) },
      reader,
    );
    return { subject: rendered.subject, ...this.encode(tag, rendered), events };
  }

  /** A digest is one person's: rendered for its delivery alone, from all its events in order, in their language and zone (not cached). */
  private async prepareDigest(d: ChannelDelivery, tag: string, gatewayUri: string | null, context: DispatchContext): Promise<PreparedMail> {
    const events = await this.eventsOf(d, context);
    const rendered = this.renderer.renderDigest(events, { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) }, await this.readerOf(d));
    return { subject: rendered.subject, ...this.encode(tag, rendered), events };
  }

  /** A mail's parts, encoded once: text and HTML (with the logo Herald keeps, when the HTML shows it). */
  private encode(tag: string, rendered: RenderedMail): EncodedBody {
    const alternative = encodeAlternative(tag, rendered.text, rendered.html);
    const logo = rendered.inlineLogo;
    if (!logo || !rendered.html.includes(`cid:${LOGO_CID}`)) return alternative;
    const extension = logo.contentType.split('/')[1].replace('jpeg', 'jpg');
    return encodeRelated(tag, alternative, [{ contentType: logo.contentType, data: logo.data, cid: LOGO_CID, filename: `logo.${extension}` }]);
  }

  /** Whom the mail is written for: the recipient's language and zone as planned, else the admin's defaults. */
  private async readerOf(d: ChannelDelivery): Promise<Required<MailReader>> {
    const defaults = await this.defaults.get();
    const pair = `${d.recipientLocale}\n${defaults.language}`;
    let locale = this.locales.get(pair);
    if (!locale) this.locales.set(pair, (locale = mailLocale(d.recipientLocale, defaults.language)));
    return { locale, timeZone: d.recipientTimeZone ?? defaults.timeZone ?? FALLBACK_TIME_ZONE };
  }

  /** Renders the event for one reader and encodes the whole message once; keeps what follows its headers. */
  private async prepare(cached: CachedEvent, gatewayUri: string | null, reader: MailReader): Promise<PreparedMail> {
    const rendered = this.renderer.render(cached.event, { gatewayUri, preferencesLink: this.links.bodyLink(gatewayUri) }, reader);
    return { subject: rendered.subject, ...this.encode(cached.tag, rendered), ...(rendered.fallback && { note: rendered.fallback }) };
  }
}
