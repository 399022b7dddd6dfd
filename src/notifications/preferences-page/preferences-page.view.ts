import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { PREFERENCES_PATH } from '../preference-links/preference-links';
import { pageMessages, type PageMessages, type RefusalReason } from './preferences-page.messages';
import type { LinkContext } from './preferences-page.service';

/**
 * The HTML of the preferences page (plain forms: no script, works in any browser
 * and with assistive technology), and of the short pages that answer a one-click
 * unsubscribe or a link that does not work. Handlebars escapes every value.
 */
@Injectable()
export class PreferencesPageView {
  private readonly page: Handlebars.TemplateDelegate;
  private readonly message: Handlebars.TemplateDelegate;

  constructor() {
    const handlebars = Handlebars.create();
    const read = (name: string) => readFileSync(join(__dirname, name), 'utf8');
    this.page = handlebars.compile(read('preferences-page.html.hbs'), { strict: false });
    this.message = handlebars.compile(read('message-page.html.hbs'), { strict: false });
  }

  preferences(link: LinkContext, forms: { stop: string; save: string }, label: (type: string) => string, status?: 'saved' | 'stopped'): string {
    const { lang, messages: m } = pageMessages(link.person.locale);
    const appName = (id: string) => {
      const name = link.applicationNames.get(id);
      return name ? `${name} (${id})` : id;
    };
    const type = label(link.eventType);
    let index = 0;
    return this.page({
      lang,
      m,
      action: PREFERENCES_PATH,
      token: link.token,
      stopFormId: forms.stop,
      saveFormId: forms.save,
      greeting: m.greeting(link.person.displayName ?? link.person.email ?? link.person.id),
      status: status && m[status],
      mail: link.application && {
        application: link.application,
        legend: m.stopLegend(type, link.application.name),
        typeHere: m.stopTypeHere(type, link.application.name),
        typeEverywhere: m.stopTypeEverywhere(type),
      },
      notificationsEnabled: link.person.notificationsEnabled,
      types: link.preferences.map((p) => ({
        type: p.eventType,
        label: p.label,
        enabled: p.enabled,
        note: p.reason ? m.notReceiving[p.reason] : m.receives,
        overrides: p.applicationOverrides.map((o) => ({ index: index++, applicationId: o.applicationId, enabled: o.enabled, label: m.overrideFor(p.label, appName(o.applicationId)) })),
      })),
    });
  }

  unsubscribed(link: LinkContext, label: (type: string) => string): string {
    const { lang, messages: m } = pageMessages(link.person.locale);
    return this.message({ lang, title: m.unsubscribedTitle, role: 'status', text: m.unsubscribed(label(link.eventType), link.application?.name ?? '') });
  }

  refused(reason: RefusalReason): string {
    const { lang, messages: m } = pageMessages(undefined);
    return this.message({ lang, title: m.refusedTitle, role: 'alert', text: (m.refused as PageMessages['refused'])[reason] });
  }
}
