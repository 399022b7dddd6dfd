import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../clock/clock';
import { MAIL_TRANSPORT, type MailTransport } from '../../email/mail-transport.port';
import { encodeAlternative, type MailHeader, withHeaders } from '../../smtp/mime-message';

const TEXTS = {
  en: {
    subject: (app: string) => `Confirm: Herald notifications about ${app} to this address`,
    body: (app: string, address: string) => `Someone asked Herald to send notifications about the application ${app} to ${address}. Nothing is sent to this address until the link below is followed; if nobody here asked for it, ignore this mail.`,
    action: 'Confirm the subscription',
  },
  fr: {
    subject: (app: string) => `Confirmation : notifications Herald sur ${app} à cette adresse`,
    body: (app: string, address: string) => `Quelqu'un a demandé à Herald d'envoyer les notifications de l'application ${app} à ${address}. Rien n'est envoyé à cette adresse tant que le lien ci-dessous n'a pas été suivi ; si personne ici ne l'a demandé, ignorez ce message.`,
    action: "Confirmer l'abonnement",
  },
};

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The one mail a subscribed address gets before it confirms: a signed link to
 * confirm, nothing else (no event). Sent at once through the mail transport in
 * use (not the outbox: it belongs to no event); when it cannot go, the
 * subscription stays PENDING and subscribeAddress says why (ask again to resend).
 */
@Injectable()
export class ConfirmationMail {
  constructor(
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    private readonly clock: Clock,
  ) {}

  async send(to: string, link: string, application: string, locale: string | null): Promise<{ sent: true } | { sent: false; error: string }> {
    const t = locale?.toLowerCase().startsWith('fr') ? TEXTS.fr : TEXTS.en;
    try {
      const route = await this.transport.route();
      if (!route) return { sent: false, error: 'no way out is configured (updateSmtpSettings)' };
      const hold = this.transport.holding() ?? (await this.transport.reserve(route));
      if (hold) return { sent: false, error: hold.reason };
      const tag = randomBytes(8).toString('hex');
      const domain = /@([^>\s]+)>?\s*$/.exec(route.sender)?.[1] ?? 'herald.invalid';
      const text = `${t.body(application, to)}\n\n${t.action}: ${link}\n`;
      const page = `<!DOCTYPE html><html><body><p>${html(t.body(application, to))}</p><p><a href="${html(link)}">${html(t.action)}</a></p></body></html>`;
      const headers: MailHeader[] = [
        { key: 'From', value: route.sender },
        { key: 'To', value: to },
        { key: 'Subject', value: t.subject(application) },
        { key: 'Message-ID', value: `<herald.confirm.${tag}@${domain}>` },
        { key: 'Auto-Submitted', value: 'auto-generated' },
      ];
      const mail = withHeaders(encodeAlternative(tag, text, page), tag, headers, this.clock.now());
      await this.transport.send(route, mail);
      await this.transport.succeeded(route).catch(() => undefined);
      return { sent: true };
    } catch (error) {
      const failure = this.transport.classify(error);
      return { sent: false, error: `${failure.step}: ${failure.reply ?? failure.description}` };
    }
  }
}
