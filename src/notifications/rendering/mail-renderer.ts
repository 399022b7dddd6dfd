import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { type JobEvent, JobEventType } from '@herald/contracts';

/** Where the .hbs files are: beside this folder, in src/ and (copied by the build) in dist/. */
export const TEMPLATES_DIR = join(__dirname, '..', 'templates');

const FILE_OF: Record<JobEventType, string> = {
  JOB_SUCCEEDED: 'job-succeeded',
  JOB_FAILED: 'job-failed',
  JOB_STOPPED: 'job-stopped',
  APPLICATION_CREATED: 'application-created',
  VERSION_CREATED: 'version-created',
};

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

interface Compiled {
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
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
 * text, sharing a layout. Every template is compiled once, when Herald starts;
 * the HTML part escapes everything that came with the event.
 */
@Injectable()
export class MailRenderer {
  private readonly templates = new Map<JobEventType, Compiled>();

  constructor() {
    const html = Handlebars.create();
    const text = Handlebars.create();
    const read = (name: string) => readFileSync(join(TEMPLATES_DIR, `${name}.hbs`), 'utf8');
    html.registerPartial('layout', read('layout.html'));
    text.registerPartial('layout', read('layout.text'));
    for (const [type, file] of Object.entries(FILE_OF) as [JobEventType, string][]) {
      this.templates.set(type, {
        // preventIndent: the layout's indented partial block must not indent each line of a <pre>.
        html: html.compile(read(`${file}.html`), { strict: false, preventIndent: true }),
        // Plain text is not HTML: no entity escaping there.
        text: text.compile(read(`${file}.text`), { noEscape: true, preventIndent: true }),
      });
    }
  }

  render(event: JobEvent, links: { gatewayUri: string | null }): RenderedMail {
    const context = this.context(event, links.gatewayUri ?? '');
    const { html, text } = this.templates.get(event.type)!;
    return { subject: context.subject, html: html(context), text: text(context) };
  }

  private context(event: JobEvent, gateway: string) {
    const base = gateway.replace(/\/+$/, '');
    const app = encodeURIComponent(event.application.id);
    const job = 'job' in event ? event.job : undefined;
    const kind = job ? capitalize(job.kind) : '';
    const appName = oneLine(event.application.name);
    let subject: string;
    let heading: string;
    let color = '#0969da';
    switch (event.type) {
      case JobEventType.JOB_SUCCEEDED:
        subject = heading = `${kind} succeeded`;
        color = '#1a7f37';
        break;
      case JobEventType.JOB_FAILED:
        heading = `${kind} failed`;
        subject = event.error.step ? `${heading}: ${event.error.step}` : heading;
        color = '#cf222e';
        break;
      case JobEventType.JOB_STOPPED:
        heading = `${kind} stopped`;
        subject = `${heading} by ${event.stoppedBy.name ?? event.stoppedBy.id}`;
        color = '#9a6700';
        break;
      case JobEventType.APPLICATION_CREATED:
        subject = heading = 'Application created';
        break;
      case JobEventType.VERSION_CREATED:
        heading = 'New version created';
        subject = `New version ${event.version.name}`;
        break;
    }
    return {
      subject: oneLine(`[${appName}] ${subject}`),
      heading: `${heading}: ${appName}`,
      color,
      application: event.application,
      job: job && {
        ...job,
        startedAt: formatTime(job.startedAt),
        endedAt: formatTime(job.endedAt),
        duration: formatDuration(job.startedAt, job.endedAt),
      },
      error: 'error' in event ? event.error : undefined,
      stoppedBy: 'stoppedBy' in event ? (event.stoppedBy.name ?? event.stoppedBy.id) : undefined,
      createdBy: 'createdBy' in event && event.createdBy ? (event.createdBy.name ?? event.createdBy.id) : undefined,
      version: 'version' in event ? event.version : undefined,
      occurredAt: formatTime(event.occurredAt),
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
