import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MailCatalogue } from '../../i18n/mail-messages';
import { TimeFormats } from '../../i18n/time-formats';
import { FORM_ACTION } from '../preference-links/preference-links';
import type { PageReader, SubscriptionLink } from './preferences-page.service';

const TEXTS = {
  en: {
    title: 'Herald notifications of this address',
    about: (address: string, application: string) => `${address} is subscribed to Herald's notifications about ${application}.`,
    types: 'Kinds of mail it gets',
    frequency: 'How often',
    status: { PENDING: 'Waiting for its confirmation.', ACTIVE: 'It receives these mails.', UNSUBSCRIBED: 'Unsubscribed: it receives no more mails.' },
    button: 'Unsubscribe this address',
    unsubscribed: (address: string, application: string) => `${address} will no longer receive Herald's notifications about ${application}.`,
    unsubscribedTitle: 'Unsubscribed',
    expires: (at: string) => `This link works until ${at}.`,
  },
  fr: {
    title: 'Notifications Herald de cette adresse',
    about: (address: string, application: string) => `${address} est abonnée aux notifications Herald de ${application}.`,
    types: 'Types de messages reçus',
    frequency: 'Fréquence',
    status: { PENDING: 'En attente de confirmation.', ACTIVE: 'Elle reçoit ces messages.', UNSUBSCRIBED: 'Désabonnée : elle ne reçoit plus de messages.' },
    button: 'Désabonner cette adresse',
    unsubscribed: (address: string, application: string) => `${address} ne recevra plus les notifications Herald de ${application}.`,
    unsubscribedTitle: 'Désabonnement effectué',
    expires: (at: string) => `Ce lien fonctionne jusqu'au ${at}.`,
  },
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const STYLE = 'body{margin:0;padding:24px;background:#f5f6f8;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;line-height:1.5}main{max-width:640px;margin:0 auto;background:#fff;border-radius:6px;padding:24px}';

/**
 * The preferences page of a mail sent to a subscribed address (not a person): its
 * subscription — application, kinds of mail, how often, where it is — and a
 * button that unsubscribes it (a form used once). English or French, as the
 * subscription's language says. No script; values escaped.
 */
@Injectable()
export class SubscriptionSectionView {
  /** No script, nothing loaded, only the page's own <style> (by hash), forms posted back to Herald only, never framed. */
  readonly contentSecurityPolicy = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
  private readonly types = new MailCatalogue();

  page(link: SubscriptionLink, formId: string, reader: PageReader): string {
    const t = this.texts(reader);
    const { subscription: s } = link;
    const application = link.application?.name ?? s.applicationId;
    const kinds = s.types.map((type) => `<li>${escape(this.types.messages(type, reader.locale).text('typeLabel'))}</li>`).join('');
    const form =
      s.status === 'UNSUBSCRIBED'
        ? ''
        : `<form method="post" action="${FORM_ACTION}"><input type="hidden" name="t" value="${escape(link.token)}"><input type="hidden" name="form" value="${escape(formId)}"><input type="hidden" name="action" value="unsubscribe"><button type="submit">${escape(t.button)}</button></form>`;
    const expires = t.expires(new TimeFormats(reader.locale, reader.timeZone).time(link.expiresAt.toISOString())!);
    return this.html(
      reader,
      t.title,
      `<section aria-labelledby="subscription"><h2 id="subscription">${escape(s.address)}</h2><p>${escape(t.about(s.address, application))}</p><p role="status">${escape(t.status[s.status])}</p><h3>${escape(t.types)}</h3><ul>${kinds}</ul><p>${escape(t.frequency)}: ${escape(s.frequency)}</p>${form}</section><p>${escape(expires)}</p>`,
    );
  }

  unsubscribed(link: SubscriptionLink, reader: PageReader): string {
    const t = this.texts(reader);
    return this.html(reader, t.unsubscribedTitle, `<p role="status">${escape(t.unsubscribed(link.subscription.address, link.application?.name ?? link.subscription.applicationId))}</p>`);
  }

  private texts(reader: PageReader) {
    return reader.locale.toLowerCase().startsWith('fr') ? TEXTS.fr : TEXTS.en;
  }

  private html(reader: PageReader, title: string, body: string): string {
    return `<!DOCTYPE html><html lang="${escape(reader.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
  }
}
