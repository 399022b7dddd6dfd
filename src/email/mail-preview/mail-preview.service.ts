import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../clock/clock';
import { deliveredTypeOf, NotificationType, type NotifiedEvent } from '../../event-types/notification-type';
import { BadUserInputError, HeraldError, NotFoundError } from '../../graphql/graphql-errors';
import { LAYOUT } from '../../notifications/rendering/sources/database/database-template-source';
import { DeliveryContents } from '../../notifications/outbox/delivery-contents';
import { MailTemplatesService } from '../../notifications/mail-templates/mail-templates.service';
import { templateNameOf } from '../../notifications/mail-templates/mail-template-type';
import { LOGO_CID } from '../../notifications/rendering/mail-branding';
import type { DraftTemplates, RenderedMail } from '../../notifications/rendering/mail-renderer';
import { exampleEventsOf } from '../../notifications/rendering/template-variables';
import type { MailHeader } from '../../smtp/mime-message';
import { UsersService } from '../../users/users.service';
import { MAIL_TRANSPORT, type MailRoute, type MailTransport } from '../mail-transport.port';
import { MessageComposer, type PreviewedMail } from '../message-composer';
import { MailPreviewHeaderModel, MailPreviewModel, SentMailPreviewModel } from './mail-preview.model';
import type { PreviewMailTemplateInput } from './preview-mail-template.input';

/** What a preview's iframe may load: nothing from outside (images inline only, styles inline). */
const FRAME_POLICY = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:">`;

/** The headers a preview shows (the delivery's id has no meaning for one). */
const HIDDEN = new Set(['X-Herald-Delivery-Id']);

/** Where a preview comes from while no transport is set up: its headers say so. */
const NO_ROUTE: MailRoute = { name: 'none', sender: 'Herald <herald@herald.invalid>', gatewayUri: null };

/**
 * Admins' previews of a template: the mail the email channel would compose (the
 * composer itself, with the saved template or a draft checked as an update would
 * be) for a past event or the type's example, in a language and time zone,
 * addressed to the caller — shown, or sent to the caller through the transport.
 */
@Injectable()
export class MailPreviewService {
  constructor(
    private readonly composer: MessageComposer,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    private readonly templates: MailTemplatesService,
    private readonly contents: DeliveryContents,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  async preview(input: PreviewMailTemplateInput, callerId: string): Promise<MailPreviewModel> {
    const user = await this.users.get(callerId).catch(() => undefined);
    const route = (await this.transport.route()) ?? NO_ROUTE;
    return (await this.compose(input, route, { address: user?.email ?? `${callerId}@herald.invalid`, name: user?.displayName ?? null })).model;
  }

  /** Sends the preview to the caller's own address, through the transport mails go through. */
  async send(input: PreviewMailTemplateInput, callerId: string): Promise<SentMailPreviewModel> {
    const user = await this.users.get(callerId);
    if (!user.email) throw BadUserInputError.field('email', 'your profile has no email address: set one with updateMyProfile first');
    const route = await this.transport.route();
    if (!route) throw BadUserInputError.field('smtp', 'mail is not set up: updateSmtpSettings first');
    const { model, previewed } = await this.compose(input, route, { address: user.email, name: user.displayName ?? null });
    try {
      const reply = await this.transport.send(route, { envelope: previewed.message.envelope, raw: previewed.message.raw });
      return Object.assign(new SentMailPreviewModel(), { to: user.email, messageId: previewed.message.messageId, reply, preview: model });
    } catch (error) {
      const failure = this.transport.classify(error);
      throw new HeraldError('SERVICE_UNAVAILABLE', `the preview was not sent: ${failure.description}`, { retryable: failure.transient });
    }
  }

  private async compose(input: PreviewMailTemplateInput, route: MailRoute, to: { address: string; name: string | null }): Promise<{ model: MailPreviewModel; previewed: PreviewedMail }> {
    const { event, example } = await this.eventFor(input);
    const draft = input.draft && this.checkedDraft(input);
    const reader = { locale: input.language, timeZone: input.timeZone };
    let previewed: PreviewedMail;
    try {
      previewed = this.composer.preview(event, route, reader, to, draft, this.clock.now());
    } catch (error) {
      // A draft checked on the examples may still fail on this past event (nothing falls back in a preview): said on the part that fails.
      if (!draft) throw error;
      const parts = (['subject', 'html', 'text'] as const).filter((p) => draft[p] !== undefined);
      const fails = (part: (typeof parts)[number]) => {
        try {
          this.composer.preview(event, route, reader, to, { name: draft.name, [part]: draft[part] }, this.clock.now());
          return false;
        } catch {
          return true;
        }
      };
      throw BadUserInputError.field(`draft.${parts.find(fails) ?? parts[0]}`, `fails to render event ${event.id}: ${(error as Error).message.split('\n')[0]}`);
    }
    const { rendered } = previewed;
    const model = Object.assign(new MailPreviewModel(), {
      subject: rendered.subject,
      html: rendered.html,
      frameHtml: frameHtml(rendered),
      text: rendered.text,
      headers: previewed.headers.filter((h) => !HIDDEN.has(h.key)).map(headerModel),
      eventId: event.id,
      example,
    });
    return { model, previewed };
  }

  /** The past event asked for (of the template's type), or the type's example. */
  private async eventFor(input: PreviewMailTemplateInput): Promise<{ event: NotifiedEvent; example: boolean }> {
    if (!input.eventId) return { event: exampleEventsOf(input.type === LAYOUT ? NotificationType.JOB_FAILED : input.type)[0], example: true };
    const payload = (await this.contents.payloads([input.eventId])).get(input.eventId);
    if (payload === undefined) throw new NotFoundError('Event', input.eventId);
    const event = JSON.parse(payload) as NotifiedEvent;
    const type = deliveredTypeOf(event);
    if (input.type !== LAYOUT && type !== input.type) throw BadUserInputError.field('eventId', `is a ${type} event: a ${input.type} template is previewed on a ${input.type} event`);
    return { event, example: false };
  }

  /** A draft's parts, checked as updateMailTemplate checks them (problems named draft.<part>). */
  private checkedDraft(input: PreviewMailTemplateInput): DraftTemplates {
    const draft = input.draft!;
    if (input.type === LAYOUT && draft.subject !== undefined) throw BadUserInputError.field('draft.subject', 'the layout has no subject (each type has its own)');
    const given = (['subject', 'html', 'text'] as const).filter((p) => draft[p] !== undefined);
    const saved = this.templates.inEffectNow(input.type, input.language);
    const texts = { ...saved, ...Object.fromEntries(given.map((p) => [p, draft[p]!])) };
    const problems = this.templates.problems(input.type, input.language, texts, given);
    if (problems.length) throw new BadUserInputError(problems.map((p) => ({ ...p, field: `draft.${p.field}` })));
    return { name: templateNameOf(input.type), ...Object.fromEntries(given.map((p) => [p, draft[p]!])) };
  }
}

/** The HTML for an iframe: the kept logo inline (data:), and a policy that lets nothing load from outside. */
function frameHtml(rendered: RenderedMail): string {
  const logo = rendered.inlineLogo;
  const html = logo ? rendered.html.split(`cid:${LOGO_CID}`).join(`data:${logo.contentType};base64,${logo.data.toString('base64')}`) : rendered.html;
  const head = /<head[^>]*>/i.exec(html);
  return head ? `${html.slice(0, head.index + head[0].length)}${FRAME_POLICY}${html.slice(head.index + head[0].length)}` : `${FRAME_POLICY}${html}`;
}

function headerModel(header: MailHeader): MailPreviewHeaderModel {
  const value = typeof header.value === 'string' ? header.value : `${header.value.name} <${header.value.address}>`;
  return Object.assign(new MailPreviewHeaderModel(), { name: header.key, value });
}
