import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Handlebars from 'handlebars';
import { BIDI_CONTROL } from '@herald/contracts';
import { capitalize } from '../../event-types/event-type';
import { deliveredTypeOf, NOTIFICATION_TYPES, type NotificationType, type NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes, eventTypeOf } from '../../event-types/registry';
import { FALLBACK_LANGUAGE, languageOf, LANGUAGES } from '../../i18n/languages';
import { MailCatalogue, type MailMessages, type MessageValues } from '../../i18n/mail-messages';
import { FALLBACK_TIME_ZONE, isTimeZone, TimeFormats } from '../../i18n/time-formats';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { FileTemplateSource } from './file-template-source';
import { brandingVariables, type MailBranding, NO_BRANDING } from './mail-branding';
import { compileOptions, mailHandlebars, RUNTIME_OPTIONS } from './template-rules';
import { DEFAULT_SUBJECT, TEMPLATE_SOURCE, type TemplateName, type TemplateSource } from './template-source';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
  /**
   * Set when an admin's template failed for this mail and Herald's default wrote
   * it instead: which one and why (the delivery log shows it; metrics count it).
   */
  fallback?: string;
  /** The logo Herald keeps, for the mail to carry inline (when the HTML refers to it: cid:logo@herald). */
  inlineLogo?: { contentType: string; data: Buffer };
}

type Delegate = Handlebars.TemplateDelegate;

interface Compiled {
  /** A type's subject (none for the layout, a digest, a summary). */
  subject?: Delegate;
  html: Delegate;
  text: Delegate;
  /** Not Herald's own (an admin's override, in part or whole). */
  overridden: boolean;
}

/** Templates not saved yet, for a preview or a check: the parts given replace the saved ones. */
export interface DraftTemplates {
  /** A type's (its subject, HTML, text) or the layout's (HTML, text). */
  name: NotificationType | 'layout';
  subject?: string;
  html?: string;
  text?: string;
}

/** What is compiled from one version of the source. */
interface Compilation {
  version: number;
  catalogue: MailCatalogue;
  /** By name and language: the source's, and its defaults' (what a failing override falls back to). */
  templates: Map<string, Compiled>;
  defaults: Map<string, Compiled>;
  /** By template text: a template the same in every language is compiled once. */
  byText: { html: Map<string, Delegate>; text: Map<string, Delegate> };
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/** The most characters a subject has: an admin's template may write an event's long values into it (error.message: 10,000). */
export const SUBJECT_MAX_LENGTH = 1000;
/** What multi-line values may hold and a subject line may not: line and paragraph breaks, tabs, and the bidirectional controls that reorder what is shown. */
const SUBJECT_BREAKS = /[\t\r\n\u2028\u2029]+/g;
const SUBJECT_BIDI = new RegExp(BIDI_CONTROL.source, 'g');

/** A rendered subject as one readable line: breaks are spaces, no bidirectional control, at most SUBJECT_MAX_LENGTH characters (… at the cut). */
function subjectLine(s: string): string {
  const line = s.replace(SUBJECT_BREAKS, ' ').replace(SUBJECT_BIDI, '').trim();
  if (line.length <= SUBJECT_MAX_LENGTH) return line;
  const cut = line.slice(0, SUBJECT_MAX_LENGTH - 1);
  return `${/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut}…`; // not half of a character
}

/** What DEFAULT_SUBJECT (`{{subject}}`) writes: the context's subject, without a template run for it. */
const contextSubject: Delegate = (context: { subject?: string }) => context.subject ?? '';

/** Whom a mail is written for: its locale (mailLocale) and time zone; English and UTC when not said. */
export interface MailReader {
  locale?: string;
  timeZone?: string;
}

/** The labels of the common fields, in the table of the HTML part and before each line of the text part. */
const LABELS = ['application', 'job', 'started', 'ended', 'took', 'when'] as const;

/**
 * Renders the mail of an event for one reader: one handlebars template per type,
 * HTML and text, sharing a layout, worded by the messages of the reader's language
 * (`{{t "key"}}` in templates) with times in their zone. Templates and messages come
 * from the TemplateSource (the files: each type's folder in src/event-types/, the
 * layouts beside this file, src/i18n/), compiled once per version of the source
 * (and per text: a template the same in every language is compiled once). The
 * HTML part escapes everything that came with the event.
 */
@Injectable()
export class MailRenderer {
  private readonly logger = new Logger('MailRenderer');
  // Environments of their own, with Herald's helper only (template-rules.ts).
  private readonly html = mailHandlebars('html');
  private readonly text = mailHandlebars('text');
  private compilation: Compilation;

  constructor(
    @Optional() @Inject(TEMPLATE_SOURCE) private readonly source: TemplateSource = new FileTemplateSource(),
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {
    this.compilation = this.compile();
  }

  /** The source's version this renderer writes with (what composed mails are kept by). */
  get version(): number {
    return this.source.version;
  }

  /** Prepares every template of every language (one the source lacks throws here, not when a mail is sent). */
  private compile(): Compilation {
    const compilation: Compilation = {
      version: this.source.version,
      catalogue: new MailCatalogue((type, language) => this.source.messages(type, language)),
      templates: new Map(),
      defaults: new Map(),
      byText: { html: new Map(), text: new Map() },
    };
    this.compilation = compilation;
    for (const language of LANGUAGES) {
      for (const name of [...allEventTypes().map((d) => d.type), 'layout', 'digest', 'summary'] as TemplateName[]) this.compiled(name, language);
    }
    return compilation;
  }

  /** The compiled templates of a name in a language, from the source's current version (or its defaults'). */
  private compiled(name: TemplateName, language: string, from: 'source' | 'defaults' = 'source'): Compiled {
    if (this.compilation.version !== this.source.version) this.compile();
    const key = `${name}\n${language}`;
    const cache = from === 'source' ? this.compilation.templates : this.compilation.defaults;
    let compiled = cache.get(key);
    if (!compiled) {
      const source = from === 'source' ? this.source : (this.source.defaults ?? this.source);
      const own = this.texts(source, name, language);
      const defaults = this.source.defaults && from === 'source' ? this.texts(this.source.defaults, name, language) : own;
      compiled = {
        ...(own.subject !== undefined && { subject: own.subject === DEFAULT_SUBJECT ? contextSubject : this.delegate('text', own.subject) }),
        html: this.delegate('html', own.html),
        text: this.delegate('text', own.text),
        overridden: own.subject !== defaults.subject || own.html !== defaults.html || own.text !== defaults.text,
      };
      cache.set(key, compiled);
    }
    return compiled;
  }

  /** A template's texts from a source: a type's subject too. */
  private texts(source: TemplateSource, name: TemplateName, language: string): { subject?: string; html: string; text: string } {
    const isType = name !== 'layout' && name !== 'digest' && name !== 'summary';
    return {
      ...(isType && { subject: source.subject?.(name, language) ?? DEFAULT_SUBJECT }),
      html: source.template(name, language, 'html'),
      text: source.template(name, language, 'text'),
    };
  }

  /** A part compiled once per text (the subject as plain text). */
  private delegate(part: 'html' | 'text', template: string): Delegate {
    const byText = this.compilation.byText[part];
    let delegate = byText.get(template);
    if (!delegate) {
      delegate = (part === 'html' ? this.html : this.text).compile(template, compileOptions(part));
      byText.set(template, delegate);
    }
    return delegate;
  }

  /** Renders a template for a language, with the layout of that language. */
  private write(name: TemplateName, locale: string, context: object, messages?: MailMessages): { html: string; text: string } {
    const language = languageOf(locale) ?? FALLBACK_LANGUAGE;
    return run(this.compiled(name, language), this.compiled('layout', language), context, messages);
  }

  private get catalogue(): MailCatalogue {
    if (this.compilation.version !== this.source.version) this.compile();
    return this.compilation.catalogue;
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
      help: m.text('help'),
      helpLabel: m.text('label', { label: m.text('help') }),
      branding: brandingVariables(this.branding),
    };
    return { subject, ...this.write('summary', m.locale, context), ...this.inlineLogo() };
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
      branding: brandingVariables(this.branding),
    };
    return { subject: context.subject, ...this.write('digest', shared.locale, context, shared), ...this.inlineLogo() };
  }

  /**
   * The mail of the type the event is delivered as (JOB_RECOVERED for a fix: notification-type.ts),
   * in the reader's language and time zone. `preferencesLink`: where "change your preferences"
   * goes (default: the console's page).
   */
  render(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader = {}): RenderedMail {
    const { context, messages, type } = this.prepared(event, links, reader);
    const language = languageOf(messages.locale) ?? FALLBACK_LANGUAGE;
    const own = this.compiled(type, language);
    const layout = this.compiled('layout', language);
    const logo = this.inlineLogo();
    try {
      return { ...runMail(own, layout, context, messages), ...logo };
    } catch (error) {
      if (!own.overridden && !layout.overridden) throw error;
      // An admin's template failed for this event: Herald's own writes the mail, and it is told.
      const which = own.overridden ? `${type} template` : 'layout';
      const fallback = `written with Herald's default templates: the ${which} (${language}) failed for this event: ${oneLine((error as Error).message)}`;
      this.logger.warn(`event ${event.id}: ${fallback}`);
      this.metrics?.templateFellBack(own.overridden ? type : 'LAYOUT', language);
      return { ...runMail(this.compiled(type, language, 'defaults'), this.compiled('layout', language, 'defaults'), context, messages), fallback, ...logo };
    }
  }

  /**
   * The mail of an event written with templates not saved (a preview, or a check
   * before saving): the parts given replace the source's, the others are the
   * source's. Nothing falls back: what fails throws.
   */
  renderDraft(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader, draft: DraftTemplates): RenderedMail {
    const { context, messages, type } = this.prepared(event, links, reader);
    const language = languageOf(messages.locale) ?? FALLBACK_LANGUAGE;
    const withDraft = (compiled: Compiled, name: NotificationType | 'layout'): Compiled =>
      draft.name !== name
        ? compiled
        : {
            ...compiled,
            ...(draft.subject !== undefined && name !== 'layout' && { subject: this.text.compile(draft.subject, compileOptions('subject')) }),
            ...(draft.html !== undefined && { html: this.html.compile(draft.html, compileOptions('html')) }),
            ...(draft.text !== undefined && { text: this.text.compile(draft.text, compileOptions('text')) }),
          };
    return { ...runMail(withDraft(this.compiled(type, language), type), withDraft(this.compiled('layout', language), 'layout'), context, messages), ...this.inlineLogo() };
  }

  /** What every template of this event's mail is given (its variables: template-variables.ts), for a reader. */
  contextOf(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader = {}): Record<string, unknown> {
    return this.prepared(event, links, reader).context;
  }

  private prepared(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }, reader: MailReader) {
    const type = deliveredTypeOf(event);
    const messages = this.catalogue.messages(type, reader.locale ?? FALLBACK_LANGUAGE);
    const times = TimeFormats.of(messages.locale, readerZone(reader));
    const context = { ...this.context(event, links.gatewayUri ?? '', messages, times), ...(links.preferencesLink && { preferencesLink: links.preferencesLink }) };
    return { type, messages, context };
  }

  /** The branding in effect (the source's; Herald's own when it has none). */
  private get branding(): MailBranding {
    return this.source.branding?.() ?? NO_BRANDING;
  }

  /** The logo Herald keeps, when it is the branding's: every mail whose HTML shows it carries it. */
  private inlineLogo(): Pick<RenderedMail, 'inlineLogo'> {
    const logo = this.branding.logo;
    return logo && 'image' in logo ? { inlineLogo: { contentType: logo.image.contentType, data: logo.image.data } } : {};
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
      color: view.color ?? this.branding.accentColor ?? '#0969da',
      labels,
      textLabels,
      application: event.application,
      job: job && { ...job, startedAt: times.time(job.startedAt), endedAt: times.time(job.endedAt), duration },
      occurredAt: times.time(event.occurredAt),
      history: event.history && { ...event.history, firstFailureAt: event.history.firstFailureAt && times.time(event.history.firstFailureAt) },
      link: job ? `${base}/applications/${app}/jobs/${encodeURIComponent(job.id)}` : `${base}/applications/${app}`,
      linkLabel: job ? t('openJob') : t('openApplication'),
      preferencesLink: preferencesLink(base),
      branding: brandingVariables(this.branding),
    };
  }
}

/** A type's mail: its subject, HTML and text. */
function runMail(own: Compiled, layout: Compiled, context: object, messages: MailMessages): RenderedMail {
  const { subject, html, text } = run(own, layout, context, messages);
  return { subject: subject!, html, text };
}

/** Runs a template with its layout (and its subject, for a type); an empty subject is a failure. */
function run(own: Compiled, layout: Compiled, context: object, messages?: MailMessages): { subject?: string; html: string; text: string } {
  const data = messages && { messages };
  const options = { data, partials: { layout: layout.html }, ...RUNTIME_OPTIONS };
  const result = {
    html: own.html(context, options),
    text: own.text(context, { ...options, partials: { layout: layout.text } }),
  };
  if (!own.subject) return result;
  const subject = subjectLine(own.subject(context, { data, ...RUNTIME_OPTIONS }));
  if (!subject) throw new Error('the subject is empty');
  return { subject, ...result };
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
