import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { NOTIFICATION_TYPES, type NotificationType } from '../../event-types/notification-type';
import { DEFAULT_DIGEST_HOUR, FIRST_AND_FIXED_TYPES, NotificationFrequency } from '../../users/frequency/notification-frequency';
import { MailCatalogue } from '../../i18n/mail-messages';
import { MessageSetCatalogue } from '../../i18n/message-set';
import { TimeFormats } from '../../i18n/time-formats';
import { FORM_ACTION } from '../preference-links/preference-links';
import { PREFERENCES_PAGE_MESSAGES, type RefusalReason } from './preferences-page.messages';
import type { LinkContext, PageReader } from './preferences-page.service';

/**
 * The HTML of the preferences page (plain forms: no script, works in any browser
 * and with assistive technology), and of the short pages that answer a one-click
 * unsubscribe or a link that does not work — in the reader's language
 * (`<html lang>`, the page's messages: preferences-page.<language>.json; each type's
 * name from its own messages, `typeLabel`) with times in their zone. Handlebars
 * escapes every value.
 */
@Injectable()
export class PreferencesPageView {
  private readonly page: Handlebars.TemplateDelegate;
  private readonly message: Handlebars.TemplateDelegate;
  /**
   * The Content-Security-Policy of every page here: no script, nothing loaded, only
   * the templates' own inline <style> (by hash), forms posted back to Herald only,
   * never framed (no clickjacking of the "stop" buttons), no <base> rewriting links.
   */
  readonly contentSecurityPolicy: string;
  private readonly texts = new MessageSetCatalogue(PREFERENCES_PAGE_MESSAGES);
  /** The event types' messages, for their names (typeLabel). */
  private readonly types = new MailCatalogue();

  constructor() {
    const handlebars = Handlebars.create();
    const read = (name: string) => readFileSync(join(__dirname, name), 'utf8');
    const templates = [read('preferences-page.html.hbs'), read('message-page.html.hbs')];
    [this.page, this.message] = templates.map((source) => handlebars.compile(source, { strict: false }));
    const styles = templates.flatMap(styleHashes).map((hash) => `'sha256-${hash}'`);
    this.contentSecurityPolicy = [`default-src 'none'`, `style-src ${[...new Set(styles)].join(' ')}`, `form-action 'self'`, `frame-ancestors 'none'`, `base-uri 'none'`].join('; ');
  }

  preferences(link: LinkContext, forms: { stop: string; save: string }, reader: PageReader, status?: 'saved' | 'stopped' | 'quietInvalid'): string {
    const m = this.texts.messages(reader.locale);
    const t = (key: string, values?: Record<string, string>) => m.text(key, values);
    const appName = (id: string) => {
      const name = link.applicationNames.get(id);
      return name ? `${name} (${id})` : id;
    };
    const type = this.label(link.eventType, reader.locale);
    let index = 0;
    /** A select of how often: each frequency the type takes, off (NEVER), and with `orDefault` "as for every application". */
    const frequencies = (eventType: string, current: NotificationFrequency | null, orDefault: boolean) => [
      ...Object.values(NotificationFrequency)
        .filter((f) => f !== NotificationFrequency.NEVER && (f !== NotificationFrequency.FIRST_AND_FIXED || FIRST_AND_FIXED_TYPES.includes(eventType)))
        .map((f) => ({ value: f, label: t(`frequency.${f}`), selected: f === current })),
      { value: 'off', label: t('off'), selected: current === NotificationFrequency.NEVER },
      ...(orDefault ? [{ value: 'default', label: t('sameAsGlobal'), selected: current === null }] : []),
    ];
    const hours = (current: number | null) =>
      Array.from({ length: 24 }, (_, hour) => ({ value: String(hour), label: t('hourOption', { hour: String(hour).padStart(2, '0') }), selected: hour === (current ?? DEFAULT_DIGEST_HOUR) }));
    const quiet = link.quietHours;
    return this.page({
      lang: m.locale,
      m: Object.fromEntries(
        ['title', 'thisMail', 'stopEverything', 'stopButton', 'allPreferences', 'notificationsEnabled', 'typesLegend', 'saveButton', 'quietLegend', 'quietOwn', 'quietDefault', 'quietEnabled', 'quietEnd', 'quietWeekends', 'quietBreakLegend', 'quietExplained'].map((key) => [key, t(key)]),
      ),
      action: FORM_ACTION,
      token: link.token,
      stopFormId: forms.stop,
      saveFormId: forms.save,
      greeting: t('greeting', { name: link.person.displayName ?? link.person.email ?? link.person.id }),
      expires: t('expires', { expiresAt: new TimeFormats(m.locale, reader.timeZone).time(link.expiresAt.toISOString())! }),
      status: status && status !== 'quietInvalid' && t(status),
      problem: status === 'quietInvalid' && t(status),
      mail: link.application && {
        application: link.application,
        legend: t('stopLegend', { type, application: link.application.name }),
        typeHere: t('stopTypeHere', { type, application: link.application.name }),
        typeEverywhere: t('stopTypeEverywhere', { type }),
      },
      notificationsEnabled: link.person.notificationsEnabled,
      types: link.preferences.map((p) => {
        const label = this.label(p.eventType, reader.locale);
        // The person's application choices, and one for the mail's application ("as for every application" until chosen).
        const overrides: Array<{ applicationId: string; frequency: NotificationFrequency | null; digestHour: number | null }> = [...p.applicationOverrides];
        if (link.application && !overrides.some((o) => o.applicationId === link.application!.id)) overrides.push({ applicationId: link.application.id, frequency: null, digestHour: null });
        return {
          type: p.eventType,
          label,
          note: p.reason ? t(`notReceiving.${p.reason}`) : t('receives'),
          frequencies: frequencies(p.eventType, p.frequency, false),
          hourLabel: t('digestHour', { what: t('quoted', { text: label }) }),
          hours: hours(p.digestHour),
          overrides: overrides.map((o) => ({
            index: index++,
            applicationId: o.applicationId,
            label: t('overrideFor', { type: label, application: appName(o.applicationId) }),
            frequencies: frequencies(p.eventType, o.frequency, true),
            hourLabel: t('digestHour', { what: `${t('quoted', { text: label })}, ${appName(o.applicationId)}` }),
            hours: hours(o.digestHour),
          })),
        };
      }),
      quiet: {
        own: quiet.source === 'USER',
        source: t(`quietSource${quiet.source === 'APPLICATION' ? 'INSTALLATION' : quiet.source}`),
        enabled: quiet.enabled,
        start: quiet.start,
        end: quiet.end,
        weekends: quiet.weekends,
        startLabel: t('quietStart', { timeZone: quiet.timeZone ?? reader.timeZone }),
        breakThrough: NOTIFICATION_TYPES.map((type) => ({ type, label: t('quietBreakType', { type: this.label(type, reader.locale) }), checked: quiet.breakThrough.includes(type) })),
      },
    });
  }

  unsubscribed(link: LinkContext, reader: PageReader): string {
    const m = this.texts.messages(reader.locale);
    const type = this.label(link.eventType, reader.locale);
    return this.message({ lang: m.locale, title: m.text('unsubscribedTitle'), role: 'status', text: m.text('unsubscribed', { type, application: link.application?.name ?? '' }) });
  }

  refused(reason: RefusalReason, reader: PageReader): string {
    const m = this.texts.messages(reader.locale);
    return this.message({ lang: m.locale, title: m.text('refusedTitle'), role: 'alert', text: m.text(`refused.${reason}`) });
  }

  /** What a type is called, in the reader's language. */
  private label(type: NotificationType, locale: string): string {
    return this.types.messages(type, locale).text('typeLabel');
  }
}

/**
 * The SHA-256 (base64) of each <style> element of a template, as CSP's style-src
 * takes them. A style must be plain text: one with a Handlebars expression would
 * render differently from what was hashed (and the browser would refuse it).
 */
function styleHashes(template: string): string[] {
  return [...template.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(([, css]) => {
    if (css.includes('{{')) throw new Error('a <style> of the preferences pages holds a template expression: its CSP hash would not match');
    return createHash('sha256').update(css).digest('base64');
  });
}
