import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { capitalize, templateFile } from '../../event-types/event-type';
import { deliveredTypeOf, NOTIFICATION_TYPES, type NotificationType, type NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes, eventTypeOf } from '../../event-types/registry';
import { FALLBACK_LANGUAGE } from '../../i18n/languages';
import { MailCatalogue, type MailMessages, type MessageValues } from '../../i18n/mail-messages';
import { FALLBACK_TIME_ZONE, isTimeZone, TimeFormats } from '../../i18n/time-formats';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

interface Compiled {
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/** Whom a mail is written for: its locale (mailLocale) and time zone; English and UTC when not said. */
export interface MailReader {
  locale?: string;
  timeZone?: string;
}

/** The labels of the common fields, in the table of the HTML part and before each line of the text part. */
const LABELS = ['application', 'job', 'started', 'ended', 'took', 'when'] as const;

/**
 * Renders the mail of an event for one reader: one handlebars template per type,
 * HTML and text, from the type's folder (src/event-types/), sharing a layout
 * (beside this file), worded by the messages of the reader's language
 * (src/i18n/, `{{t "key"}}` in templates) with times in their zone. Every
 * template and message is compiled once, when Herald starts; the HTML part
 * escapes everything that came with the event.
 */
@Injectable()
export class MailRenderer {
  private readonly templates = new Map<NotificationType, Compiled>();
  private readonly catalogue = new MailCatalogue();
  /** A digest's mail (beside this file, not in src/event-types/: it is no type of event, it lists events of any type). */
  private readonly digest: Compiled;
  /** The mail cap's summary (beside this file too). */
  private readonly summary: Compiled;

  constructor() {
    const html = Handlebars.create();
    const text = Handlebars.create();
    // {{t "key" name=value}}: a message of the mail's language; the common values (MailRenderer.values) and the given ones.
    type HelperOptions = { hash: MessageValues; data: { root: { values: MessageValues }; messages: MailMessages } };
    html.registerHelper('t', (key: string, options: HelperOptions) => new Handlebars.SafeString(options.data.messages.html(key, { ...options.data.root.values, ...options.hash })));
    text.registerHelper('t', (key: string, options: HelperOptions) => options.data.messages.text(key, { ...options.data.root.values, ...options.hash }));
    const read = (file: string) => readFileSync(file, 'utf8');
    // The layout is shared by every type; each type's templates are in its folder (src/event-types/).
    html.registerPartial('layout', read(join(__dirname, 'layout.html.hbs')));
    text.registerPartial('layout', read(join(__dirname, 'layout.text.hbs')));
    for (const definition of allEventTypes()) {
      this.templates.set(definition.type, {
        // preventIndent: the layout's indented partial block must not indent each line of a <pre>.
        html: html.compile(read(templateFile(definition, 'html')), { strict: false, preventIndent: true }),
        // Plain text is not HTML: no entity escaping there.
        text: text.compile(read(templateFile(definition, 'text')), { noEscape: true, preventIndent: true }),
      });
    }
    this.digest = {
      html: html.compile(read(join(__dirname, 'digest.html.hbs')), { strict: false, preventIndent: true }),
      text: text.compile(read(join(__dirname, 'digest.text.hbs')), { noEscape: true, preventIndent: true }),
    };
    this.summary = {
      html: html.compile(read(join(__dirname, 'summary.html.hbs')), { strict: false, preventIndent: true }),
      text: text.compile(read(join(__dirname, 'summary.text.hbs')), { noEscape: true, preventIndent: true }),
    };
  }

  /**
   * The mail cap's summary of one window, in the reader's language and zone: per
   * application (the one with the latest event first) how many more events of each
   * type ("30 more events for Billing: 28 failed, 2 fixed"), then each event newest
   * first, with its link and, for a failure, the error in one short line.
   */
  renderSummary(
    events: NotifiedEvent[],
    window: { start: Date; end: Date; cap: number },
    links: { gatewayUri: string | null; preferencesLink?: string },
    reader: MailReader = {},
  ): RenderedMail {
    const newestFirst = [...events].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt));
    const locale = reader.locale ?? FALLBACK_LANGUAGE;
    const zone = readerZone(reader);
    const groups = new Map<string, { name: string; types: Map<NotificationType, number>; events: object[] }>();
    let messages: MailMessages | undefined;
    let times: TimeFormats | undefined;
    for (const event of newestFirst) {
      const type = deliveredTypeOf(event);
      const own = this.catalogue.messages(type, locale);
      messages ??= own;
      times ??= TimeFormats.of(own.locale, zone);
      const context = this.context(event, links.gatewayUri ?? '', own, times);
      const error = 'error' in event && event.error ? oneLine(event.error.message) : undefined;
      const group = groups.get(event.application.id) ?? { name: oneLine(event.application.name), types: new Map<NotificationType, number>(), events: [] as object[] };
      groups.set(event.application.id, group);
      group.types.set(type, (group.types.get(type) ?? 0) + 1);
      group.events.push({ summary: context.summary, occurredAt: context.occurredAt, link: context.link, color: context.color, error: error && (error.length > 160 ? `${error.slice(0, 159)}…` : error) });
    }
    messages ??= this.catalogue.messages(NOTIFICATION_TYPES[0], locale);
    times ??= TimeFormats.of(messages.locale, zone);
    const m = messages;
    const applications = [...groups.values()].map((g) => {
      const count = g.events.length;
      const counts = NOTIFICATION_TYPES.filter((t) => g.types.has(t)).map((type) => m.text('summaryCount', { type, count: g.types.get(type)! })).join(', ');
      return { line: m.text('summaryGroup', { count, application: g.name, counts }), lineHtml: m.html('summaryGroup', { count, application: g.name, counts }), events: g.events };
    });
    const [first] = groups.values();
    const subject = m.text('summarySubject', { count: events.length, apps: groups.size, application: first?.name ?? '' });
    const context = {
      lang: m.locale,
      subject,
      intro: m.text('summaryIntro', {
        cap: window.cap,
        minutes: Math.round((window.end.getTime() - window.start.getTime()) / 6_000) / 10,
        start: times.time(window.start.toISOString()),
        end: times.time(window.end.toISOString()),
      }),
      applications,
      why: m.text('summaryWhy'),
      preferences: m.text('preferences'),
      preferencesLabel: m.text('label', { label: m.text('preferences') }),
      preferencesLink: links.preferencesLink ?? preferencesLink(links.gatewayUri),
    };
    return { subject, html: this.summary.html(context), text: this.summary.text(context) };
  }

  /**
   * One mail listing several events (a digest), in the reader's language and
   * time zone: grouped by application, the application with the latest event
   * first, each group newest first; per event its line (the subject its own mail
   * would have, in that language), its time, its link and, for a failure, the
   * error in one short line.
   */
  renderDigest(events: NotifiedEvent[], links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader = {}): RenderedMail {
    const locale = reader.locale ?? FALLBACK_LANGUAGE;
    const newestFirst = [...events].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt));
    // The digest's own words are shared messages: every type's messages have them.
    const shared = this.catalogue.messages(newestFirst.length ? deliveredTypeOf(newestFirst[0]) : allEventTypes()[0].type, locale);
    const times = TimeFormats.of(shared.locale, readerZone(reader));
    const groups = new Map<string, { id: string; name: string; events: object[] }>();
    for (const event of newestFirst) {
      const messages = this.catalogue.messages(deliveredTypeOf(event), locale);
      const context = this.context(event, links.gatewayUri ?? '', messages, times);
      const error = 'error' in event && event.error ? oneLine(event.error.message) : undefined;
      const group = groups.get(event.application.id) ?? { id: event.application.id, name: oneLine(event.application.name), events: [] };
      groups.set(event.application.id, group);
      group.events.push({
        summary: context.summary,
        occurredAt: context.occurredAt,
        link: context.link,
        color: context.color,
        error: error && (error.length > 160 ? `${error.slice(0, 159)}…` : error),
      });
    }
    const values: MessageValues = { count: events.length, applications: groups.size };
    const context = {
      values,
      lang: shared.locale,
      subject: shared.text('digestSubject', values),
      heading: shared.text('digestHeading', values),
      applications: [...groups.values()],
      preferencesLink: links.preferencesLink ?? preferencesLink(links.gatewayUri),
    };
    const data = { data: { messages: shared } };
    return { subject: context.subject, html: this.digest.html(context, data), text: this.digest.text(context, data) };
  }

  /**
   * The mail of the type the event is delivered as (JOB_RECOVERED for a fix: notification-type.ts),
   * in the reader's language and time zone. `preferencesLink`: where "change your preferences"
   * goes (default: the console's page).
   */
  render(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader = {}): RenderedMail {
    const type = deliveredTypeOf(event);
    const messages = this.catalogue.messages(type, reader.locale ?? FALLBACK_LANGUAGE);
    const times = TimeFormats.of(messages.locale, readerZone(reader));
    const context = { ...this.context(event, links.gatewayUri ?? '', messages, times), ...(links.preferencesLink && { preferencesLink: links.preferencesLink }) };
    const { html, text } = this.templates.get(type)!;
    return { subject: context.subject, html: html(context, { data: { messages } }), text: text(context, { data: { messages } }) };
  }

  /** What every mail has, around what the event's type says (its folder's `view`). */
  private context(event: NotifiedEvent, gateway: string, messages: MailMessages, times: TimeFormats) {
    const base = gateway.replace(/\/+$/, '');
    const app = encodeURIComponent(event.application.id);
    const job = 'job' in event ? event.job : undefined;
    const appName = oneLine(event.application.name);
    const duration = job && times.duration(job.startedAt, job.endedAt);
    // What every message may use (the Translate type says so to event types).
    const values: MessageValues = { application: event.application.name, kind: job?.kind, kindTitle: job && capitalize(job.kind), duration };
    const t = (key: string, own: MessageValues = {}) => messages.text(key, { ...values, ...own });
    const view = eventTypeOf(deliveredTypeOf(event)).view(event, t);
    const { labels, textLabels } = labelsOf(messages);
    return {
      ...view.details,
      values,
      lang: messages.locale,
      subject: oneLine(`[${appName}] ${view.subject}`),
      /** The view's own subject, without the application (a digest's line). */
      summary: oneLine(view.subject),
      heading: t('headingFor', { heading: view.heading, application: appName }),
      /** The same for the HTML part: escaped, the application's name isolated (<bdi>). */
      headingHtml: messages.html('headingFor', { ...values, heading: view.heading, application: appName }),
      color: view.color ?? '#0969da',
      labels,
      textLabels,
      application: event.application,
      job: job && { ...job, startedAt: times.time(job.startedAt), endedAt: times.time(job.endedAt), duration },
      occurredAt: times.time(event.occurredAt),
      history: event.history && { ...event.history, firstFailureAt: times.time(event.history.firstFailureAt) },
      link: job ? `${base}/applications/${app}/jobs/${encodeURIComponent(job.id)}` : `${base}/applications/${app}`,
      linkLabel: job ? t('openJob') : t('openApplication'),
      preferencesLink: preferencesLink(base),
    };
  }
}

/** The labels of a language's mails ("Started", and "Started :" padded for the text part), written once per catalogue. */
const labelsByCatalogue = new WeakMap<MailMessages, { labels: Record<string, string>; textLabels: Record<string, string> }>();
function labelsOf(messages: MailMessages) {
  let written = labelsByCatalogue.get(messages);
  if (!written) {
    // Labels take no values (a message that wanted one would fail here, in every test).
    const labels = Object.fromEntries(LABELS.map((key) => [key, messages.text(key, {})]));
    const labelled = LABELS.map((key) => [key, messages.text('label', { label: labels[key] })]);
    const width = Math.max(...labelled.map(([, label]) => label.length)) + 1;
    written = { labels, textLabels: Object.fromEntries(labelled.map(([key, label]) => [key, label.padEnd(width)])) };
    labelsByCatalogue.set(messages, written);
  }
  return written;
}

/** The reader's zone; one stored before this Node's time zone data dropped it reads as UTC rather than failing the mail. */
function readerZone(reader: MailReader): string {
  return reader.timeZone && isTimeZone(reader.timeZone) ? reader.timeZone : FALLBACK_TIME_ZONE;
}

/** The console page where a person manages their notification preferences. */
export function preferencesLink(gatewayUri: string | null): string {
  return `${(gatewayUri ?? '').replace(/\/+$/, '')}/profile/notifications`;
}
