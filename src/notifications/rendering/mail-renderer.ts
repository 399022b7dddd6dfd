import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { templateFile } from '../../event-types/event-type';
import { deliveredTypeOf, type NotificationType, type NotifiedEvent } from '../../event-types/notification-type';
import { allEventTypes, eventTypeOf } from '../../event-types/registry';

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

/** "2026-11-24 10:00 UTC". */
export function formatTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "1 h 02 min", "3 min 20 s", "12 s". */
export function formatDuration(startedAt?: string, endedAt?: string): string | undefined {
  if (!startedAt || !endedAt) return undefined;
  const seconds = Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

/**
 * Renders the mail of an event: one handlebars template per type, HTML and
 * text, from the type's folder (src/event-types/), sharing a layout (beside
 * this file). Every template is compiled once, when Herald starts; the HTML
 * part escapes everything that came with the event.
 */
@Injectable()
export class MailRenderer {
  private readonly templates = new Map<NotificationType, Compiled>();
  /** A digest's mail (beside this file, not in src/event-types/: it is no type of event, it lists events of any type). */
  private readonly digest: Compiled;

  constructor() {
    const html = Handlebars.create();
    const text = Handlebars.create();
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
  }

  /**
   * One mail listing several events (a digest): grouped by application, the
   * application with the latest event first, each group newest first; per event
   * its line (the subject its own mail would have), its link and, for a failure,
   * the error in one short line.
   */
  renderDigest(events: NotifiedEvent[], links: { gatewayUri: string | null; preferencesLink?: string }): RenderedMail {
    const newestFirst = [...events].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt));
    const groups = new Map<string, { id: string; name: string; events: object[] }>();
    for (const event of newestFirst) {
      const context = this.context(event, links.gatewayUri ?? '');
      const error = 'error' in event && event.error ? oneLine(event.error.message) : undefined;
      const group = groups.get(event.application.id) ?? { id: event.application.id, name: oneLine(event.application.name), events: [] };
      groups.set(event.application.id, group);
      group.events.push({
        summary: eventTypeOf(deliveredTypeOf(event)).view(event).subject,
        occurredAt: context.occurredAt,
        link: context.link,
        color: context.color,
        error: error && (error.length > 160 ? `${error.slice(0, 159)}…` : error),
      });
    }
    const count = events.length;
    const heading = `${count} ${count === 1 ? 'event' : 'events'} in ${groups.size} ${groups.size === 1 ? 'application' : 'applications'}`;
    const context = {
      subject: `Your Herald digest: ${heading}`,
      heading: `Your digest: ${heading}`,
      applications: [...groups.values()],
      preferencesLink: links.preferencesLink ?? preferencesLink(links.gatewayUri),
    };
    return { subject: context.subject, html: this.digest.html(context), text: this.digest.text(context) };
  }

  /**
   * The mail of the type the event is delivered as (JOB_RECOVERED for a fix: notification-type.ts).
   * `preferencesLink`: where "change your preferences" goes (default: the console's page).
   */
  render(event: NotifiedEvent, links: { gatewayUri: string | null; preferencesLink?: string }): RenderedMail {
    const context = { ...this.context(event, links.gatewayUri ?? ''), ...(links.preferencesLink && { preferencesLink: links.preferencesLink }) };
    const { html, text } = this.templates.get(deliveredTypeOf(event))!;
    return { subject: context.subject, html: html(context), text: text(context) };
  }

  /** What every mail has, around what the event's type says (its folder's `view`). */
  private context(event: NotifiedEvent, gateway: string) {
    const base = gateway.replace(/\/+$/, '');
    const app = encodeURIComponent(event.application.id);
    const job = 'job' in event ? event.job : undefined;
    const appName = oneLine(event.application.name);
    const view = eventTypeOf(deliveredTypeOf(event)).view(event);
    return {
      ...view.details,
      subject: oneLine(`[${appName}] ${view.subject}`),
      heading: `${view.heading}: ${appName}`,
      color: view.color ?? '#0969da',
      application: event.application,
      job: job && {
        ...job,
        startedAt: formatTime(job.startedAt),
        endedAt: formatTime(job.endedAt),
        duration: formatDuration(job.startedAt, job.endedAt),
      },
      occurredAt: formatTime(event.occurredAt),
      history: event.history && { ...event.history, firstFailureAt: formatTime(event.history.firstFailureAt) },
      link: job ? `${base}/applications/${app}/jobs/${encodeURIComponent(job.id)}` : `${base}/applications/${app}`,
      linkLabel: job ? `Open the ${job.kind} in the console` : 'Open the application in the console',
      preferencesLink: preferencesLink(base),
    };
  }
}

/** The console page where a person manages their notification preferences. */
export function preferencesLink(gatewayUri: string | null): string {
  return `${(gatewayUri ?? '').replace(/\/+$/, '')}/profile/notifications`;
}
