import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import type { NotificationType } from '../../event-types/notification-type';
import { MailCatalogue } from '../../i18n/mail-messages';
import { MessageSetCatalogue } from '../../i18n/message-set';
import { TimeFormats } from '../../i18n/time-formats';
import { PREFERENCES_PATH } from '../preference-links/preference-links';
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

  preferences(link: LinkContext, forms: { stop: string; save: string }, reader: PageReader, status?: 'saved' | 'stopped'): string {
    const m = this.texts.messages(reader.locale);
    const t = (key: string, values?: Record<string, string>) => m.text(key, values);
    const appName = (id: string) => {
      const name = link.applicationNames.get(id);
      return name ? `${name} (${id})` : id;
    };
    const type = this.label(link.eventType, reader.locale);
    let index = 0;
    return this.page({
      lang: m.locale,
      m: Object.fromEntries(['title', 'thisMail', 'stopEverything', 'stopButton', 'allPreferences', 'notificationsEnabled', 'typesLegend', 'on', 'off', 'sameAsGlobal', 'saveButton'].map((key) => [key, t(key)])),
      action: PREFERENCES_PATH,
      token: link.token,
      stopFormId: forms.stop,
      saveFormId: forms.save,
      greeting: t('greeting', { name: link.person.displayName ?? link.person.email ?? link.person.id }),
      expires: t('expires', { expiresAt: new TimeFormats(m.locale, reader.timeZone).time(link.expiresAt.toISOString())! }),
      status: status && t(status),
      mail: link.application && {
        application: link.application,
        legend: t('stopLegend', { type, application: link.application.name }),
        typeHere: t('stopTypeHere', { type, application: link.application.name }),
        typeEverywhere: t('stopTypeEverywhere', { type }),
      },
      notificationsEnabled: link.person.notificationsEnabled,
      types: link.preferences.map((p) => {
        const label = this.label(p.eventType, reader.locale);
        return {
          type: p.eventType,
          label,
          enabled: p.enabled,
          note: p.reason ? t(`notReceiving.${p.reason}`) : t('receives'),
          overrides: p.applicationOverrides.map((o) => ({ index: index++, applicationId: o.applicationId, enabled: o.enabled, label: t('overrideFor', { type: label, application: appName(o.applicationId) }) })),
        };
      }),
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
