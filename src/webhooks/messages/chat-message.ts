import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { HeraldConfig } from '../../config/herald-config';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { mailLocale } from '../../i18n/languages';
import { type MessageSet, MessageSetCatalogue } from '../../i18n/message-set';
import { FALLBACK_TIME_ZONE, isTimeZone, TimeFormats } from '../../i18n/time-formats';
import { MailRenderer } from '../../notifications/rendering/mail-renderer';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';

/** The chat messages' own words (`chat-messages.<language>.json` beside this file; the events' come from their types' messages). */
export const CHAT_MESSAGES: MessageSet = { name: 'chat messages', file: (language) => join(__dirname, `chat-messages.${language}.json`) };

/** One line of a message about several events (a digest, the cap's summary). */
export interface ChatLine {
  text: string;
  when: string;
  link: string | null;
  color: string;
  error?: string;
}

/**
 * A message for a team's channel, whatever it is posted as (an Adaptive Card, Block
 * Kit, signed JSON): written from what a mail of the same event says (MailRenderer's
 * context: the same words, "still failing" and "fixed" included), in the target's
 * language and time zone.
 */
export interface ChatMessage {
  /** BCP 47: what it is written in. */
  lang: string;
  /** "[Billing] Analysis failed: Run analyzer" — what a mail's subject says. */
  title: string;
  /** "Analysis failed: Billing". */
  heading: string;
  /** #rrggbb: red for a failure, green for a success or a fix… */
  color: string;
  application: { id: string; name: string };
  /** Application, job, started, ended, took (or when): labelled in the target's language. */
  facts: Array<{ label: string; value: string }>;
  /** A failure's error (and step), and the end of its log. */
  error?: { label: string; message: string; step?: { label: string; value: string } };
  log?: { label: string; text: string };
  /** The job's page in the console (absent while no gateway URI is set). */
  link?: { url: string; label: string };
  /** A digest or summary: its introduction and one line per event, newest first. */
  intro?: string;
  lines?: ChatLine[];
}

/** What a message is written for: the target's language and zone (null: the admin's defaults). */
export interface ChatReader {
  locale: string | null;
  timeZone: string | null;
}

/** The end of a log a chat message shows: a few lines (a chat is not a log viewer; the console has it all). */
const LOG_LINES = 15;
const LOG_CHARS = 1500;
const ERROR_CHARS = 500;

@Injectable()
export class ChatMessageWriter {
  private readonly words = new MessageSetCatalogue(CHAT_MESSAGES);

  constructor(
    private readonly renderer: MailRenderer,
    private readonly defaults: MailDefaultsService,
    private readonly settings: SmtpSettingsService,
    private readonly config: HeraldConfig,
  ) {}

  /** One event's message. */
  async event(event: NotifiedEvent, reader: ChatReader): Promise<ChatMessage> {
    const { locale, timeZone, gatewayUri } = await this.setting(reader);
    const c = this.renderer.contextOf(event, { gatewayUri }, { locale, timeZone }) as unknown as MailContext;
    const words = this.words.messages(c.lang);
    const facts = [{ label: c.labels.application, value: c.application.name }];
    if (c.job) {
      facts.push({ label: c.labels.job, value: `${c.job.kind} ${c.job.id}` });
      if (c.job.startedAt) facts.push({ label: c.labels.started, value: c.job.startedAt });
      if (c.job.endedAt) facts.push({ label: c.labels.ended, value: c.job.endedAt });
      if (c.job.duration) facts.push({ label: c.labels.took, value: c.job.duration });
    } else facts.push({ label: c.labels.when, value: c.occurredAt });
    const message: ChatMessage = { lang: c.lang, title: c.subject, heading: c.heading, color: c.color, application: { id: event.application.id, name: c.application.name }, facts };
    if (c.error) {
      message.error = { label: words.text('error'), message: clip(c.error.message, ERROR_CHARS), ...(c.error.step && { step: { label: words.text('step'), value: c.error.step } }) };
    }
    const log = c.log?.text?.trim();
    if (log) message.log = { label: c.log!.cut ? words.text('logCut', { lines: c.log!.cut }) : words.text('log'), text: logEnd(log) };
    if (gatewayUri) message.link = { url: c.link, label: c.linkLabel };
    return message;
  }

  /** A digest: the window's events of the target's application, newest first. */
  async digest(events: NotifiedEvent[], reader: ChatReader): Promise<ChatMessage> {
    const { lines, first, words, lang, link } = await this.lines(events, reader);
    const title = words.text('digestTitle', { count: events.length, application: first.name });
    return { lang, title, heading: title, color: '#0969da', application: first, facts: [], lines, ...(link && { link }) };
  }

  /** The cap's summary: what was held back in a window, newest first. */
  async summary(events: NotifiedEvent[], window: { start: Date; end: Date }, reader: ChatReader): Promise<ChatMessage> {
    const { lines, first, words, lang, link, times } = await this.lines(events, reader);
    const title = words.text('summaryTitle', { count: events.length, application: first.name });
    const cap = this.config.mailCap;
    const intro = words.text('summaryIntro', {
      cap: cap?.count ?? 0,
      minutes: Math.round((window.end.getTime() - window.start.getTime()) / 6_000) / 10,
      start: times.time(window.start.toISOString()) ?? '',
      end: times.time(window.end.toISOString()) ?? '',
    });
    return { lang, title, heading: title, color: '#0969da', application: first, facts: [], intro, lines, ...(link && { link }) };
  }

  /** The test message of testNotificationTarget: says what the channel will get. */
  async test(application: { id: string; name: string }, types: string[], reader: ChatReader): Promise<ChatMessage> {
    const { locale, gatewayUri } = await this.setting(reader);
    const words = this.words.messages(locale);
    const title = words.text('testTitle');
    const link = gatewayUri ? { url: `${gatewayUri.replace(/\/+$/, '')}/applications/${encodeURIComponent(application.id)}`, label: application.name } : undefined;
    return { lang: words.locale, title, heading: title, color: '#0969da', application, facts: [], intro: words.text('testText', { application: application.name, types: types.join(', ') }), ...(link && { link }) };
  }

  private async lines(events: NotifiedEvent[], reader: ChatReader) {
    const { locale, timeZone, gatewayUri } = await this.setting(reader);
    const newestFirst = [...events].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt));
    const lines: ChatLine[] = newestFirst.map((event) => {
      const c = this.renderer.contextOf(event, { gatewayUri }, { locale, timeZone }) as unknown as MailContext;
      return { text: c.summary, when: c.occurredAt, link: gatewayUri ? c.link : null, color: c.color, ...('error' in event && event.error && { error: clip(event.error.message.replace(/\s+/g, ' '), 160) }) };
    });
    const words = this.words.messages(locale);
    const first = newestFirst[0]?.application ?? { id: '', name: '' };
    const link = gatewayUri && first.id ? { url: `${gatewayUri.replace(/\/+$/, '')}/applications/${encodeURIComponent(first.id)}`, label: first.name } : undefined;
    return { lines, first: { id: first.id, name: first.name }, words, lang: words.locale, link, times: TimeFormats.of(words.locale, timeZone) };
  }

  private async setting(reader: ChatReader): Promise<{ locale: string; timeZone: string; gatewayUri: string | null }> {
    const [defaults, settings] = await Promise.all([this.defaults.get(), this.settings.get()]);
    const zone = reader.timeZone ?? defaults.timeZone ?? FALLBACK_TIME_ZONE;
    return { locale: mailLocale(reader.locale, defaults.language), timeZone: isTimeZone(zone) ? zone : FALLBACK_TIME_ZONE, gatewayUri: settings.gatewayUri?.trim() || null };
  }
}

/** What MailRenderer.contextOf gives (src/notifications/rendering/template-variables.ts), as far as a chat message reads it. */
interface MailContext {
  lang: string;
  subject: string;
  summary: string;
  heading: string;
  color: string;
  labels: Record<'application' | 'job' | 'started' | 'ended' | 'took' | 'when', string>;
  application: { id: string; name: string };
  job?: { id: string; kind: string; startedAt?: string; endedAt?: string; duration?: string };
  occurredAt: string;
  link: string;
  linkLabel: string;
  error?: { message: string; step?: string };
  log?: { text?: string; cut?: number };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The last lines of a log, at most LOG_LINES and LOG_CHARS. */
function logEnd(log: string): string {
  const lines = log.split(/\r?\n/).slice(-LOG_LINES).join('\n');
  return lines.length > LOG_CHARS ? `…${lines.slice(-(LOG_CHARS - 1))}` : lines;
}
