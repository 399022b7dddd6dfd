import { Body, Controller, Get, Headers, Logger, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import { Public } from '../../auth/auth.decorators';
import { HtmlPage, type RefusesBodies } from '../../http/html-pages';
import { PREFERENCES_PATH, UNSUBSCRIBE_PATH } from '../preference-links/preference-links';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { type AllPreferences, type FormChoice, type LinkContext, LinkRefused, PreferencesPageService, quietHoursProblem, type StopChoice, type SubscriptionLink } from './preferences-page.service';
import { PreferencesPageView } from './preferences-page.view';
import { SubscriptionSectionView } from './subscription-section.view';
import { NOTIFICATION_TYPES, type NotificationType } from '../../event-types/notification-type';

/** The HTTP answer of each reason a link does not work. */
const STATUS: Record<LinkRefused['reason'], number> = { invalid: 400, 'not-one-click': 400, 'too-large': 413, used: 409, expired: 410, gone: 410, 'address-changed': 410 };

type Form = Record<string, unknown>;

/** What this controller uses of Express's response. */
interface Response {
  setHeader(name: string, value: string): unknown;
  status(code: number): { type(type: string): { send(body: string): unknown } };
}

/**
 * Herald's preferences page and RFC 8058 one-click unsubscribe, reached from the
 * signed links of each mail (no login: the link's token is the key). Every answer
 * is HTML, in the language of the person the link is for (PreferencesPageService.readerOf). The token travels in the query string (GET, one-click POST) or the
 * form's body, never in the path: logs name the path only.
 */
@Controller()
@Public()
@HtmlPage(PREFERENCES_PATH, UNSUBSCRIBE_PATH)
export class PreferencesPageController implements RefusesBodies {
  private readonly logger = new Logger('PreferencesPage');

  constructor(
    private readonly service: PreferencesPageService,
    private readonly view: PreferencesPageView,
    private readonly subscriptionView: SubscriptionSectionView,
  ) {}

  /**
   * A body refused before these handlers ran (over HTTP_BODY_LIMIT; for one-click's
   * multipart, a file, too many or too long fields) is refused like a link, in HTML:
   * 413, or the form's 400 (one-click's: not a one-click).
   */
  refuseBody(path: string, status: number, request: unknown, response: unknown): Promise<void> {
    const otherwise: LinkRefused['reason'] = path === UNSUBSCRIBE_PATH ? 'not-one-click' : 'invalid';
    const languages = (request as { headers: Record<string, unknown> }).headers['accept-language'];
    return this.refuse(response as Response, `POST ${path}`, status === 413 ? 'too-large' : otherwise, undefined, languages);
  }

  @Get(PREFERENCES_PATH)
  show(@Query('t') token: unknown, @Headers('accept-language') languages: unknown, @Res() res: Response): Promise<void> {
    return this.answer(res, `GET ${PREFERENCES_PATH}`, languages, async (sub) => (sub ? this.subscriptionPage(sub) : this.page(await this.service.open(token))), token);
  }

  /** A mail program that follows List-Unsubscribe with a GET (no one-click) shows the page: a GET never changes anything. */
  @Get(UNSUBSCRIBE_PATH)
  showFromHeader(@Query('t') token: unknown, @Headers('accept-language') languages: unknown, @Res() res: Response): Promise<void> {
    return this.answer(res, `GET ${UNSUBSCRIBE_PATH}`, languages, async (sub) => (sub ? this.subscriptionPage(sub) : this.page(await this.service.open(token))), token);
  }

  @Post(PREFERENCES_PATH)
  submit(@Body() form: Form, @Headers('accept-language') languages: unknown, @Res() res: Response): Promise<void> {
    return this.answer(res, `POST ${PREFERENCES_PATH}`, languages, async (sub) => {
      if (sub) {
        // A subscribed address's page has one form: unsubscribe it.
        if (form.action !== 'unsubscribe') throw new LinkRefused('invalid', sub.subscription);
        await this.service.unsubscribeSubscription(sub, form.form);
        return this.subscriptionView.unsubscribed(sub, await this.service.readerOf(sub.subscription));
      }
      const link = await this.service.open(form?.t);
      if (form.action === 'stop') {
        const choice = form.stop;
        if (choice !== 'type-here' && choice !== 'type-everywhere' && choice !== 'everything') throw new LinkRefused('invalid', link.person);
        await this.service.stop(link, form.form, choice as StopChoice);
        return this.page(await this.service.open(link.token), 'stopped');
      }
      if (form.action !== 'save') throw new LinkRefused('invalid', link.person);
      const wanted = allPreferences(form);
      // Quiet hours that cannot be: the page again, saying so, nothing changed (the form is not spent).
      const problem = quietHoursProblem(wanted.quietHours);
      if (problem) return this.page(link, problem);
      await this.service.save(link, form.form, wanted);
      return this.page(await this.service.open(link.token), 'saved');
    }, form?.t);
  }

  /**
   * RFC 8058: the body must say `List-Unsubscribe=One-Click`; the mail's type is then off for its application.
   * Its section 3.1 has mail programs send it as multipart/form-data (SHOULD) or urlencoded (MAY): both are read.
   */
  @Post(UNSUBSCRIBE_PATH)
  @UseInterceptors(NoFilesInterceptor({ limits: { fields: 10, fieldNameSize: 100, fieldSize: 1024, parts: 10, files: 0 } }))
  oneClick(@Query('t') token: unknown, @Body() body: Form, @Headers('accept-language') languages: unknown, @Res() res: Response): Promise<void> {
    return this.answer(res, `POST ${UNSUBSCRIBE_PATH}`, languages, async (sub) => {
      if (body?.['List-Unsubscribe'] !== 'One-Click') throw new LinkRefused('not-one-click');
      if (sub) {
        // A subscribed address: the subscription ends (its application, every type).
        await this.service.unsubscribeSubscription(sub);
        return this.subscriptionView.unsubscribed(sub, await this.service.readerOf(sub.subscription));
      }
      const link = await this.service.oneClick(token);
      return this.view.unsubscribed(link, await this.service.readerOf(link.person));
    }, token);
  }

  private async subscriptionPage(link: SubscriptionLink): Promise<string> {
    return this.subscriptionView.page(link, this.service.newFormId(), await this.service.readerOf(link.subscription));
  }

  private async page(link: LinkContext, status?: 'saved' | 'stopped' | 'quietInvalid'): Promise<string> {
    const forms = { stop: this.service.newFormId(), save: this.service.newFormId() };
    return this.view.preferences(link, forms, await this.service.readerOf(link.person), status);
  }

  /**
   * Sends the page, or the page of a refused link with its 4xx — in the language of
   * the link's person when known, else of the browser (`languages`: Accept-Language);
   * logs the path, never the token.
   */
  private async answer(res: Response, where: string, languages: unknown, render: (subscription: SubscriptionLink | null) => Promise<string>, token: unknown): Promise<void> {
    this.commonHeaders(res);
    try {
      // A mail to a subscribed address (not a person) has its subscription's page.
      const subscription = await this.service.openSubscription(token);
      res.setHeader('content-security-policy', subscription ? this.subscriptionView.contentSecurityPolicy : this.view.contentSecurityPolicy);
      res.status(200).type('html').send(await render(subscription));
    } catch (error) {
      if (!(error instanceof LinkRefused)) throw error;
      await this.refuse(res, where, error.reason, error.person, languages);
    }
  }

  private commonHeaders(res: Response): void {
    res.setHeader('cache-control', 'no-store');
    // The token is in the URL: no Referer carries it anywhere (the pages also say so in a <meta>).
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
  }

  /** The page of a refused link or form, with its 4xx. */
  private async refuse(res: Response, where: string, reason: LinkRefused['reason'], person: LinkRefused['person'], languages: unknown): Promise<void> {
    const page = this.view.refused(reason, await this.service.readerOf(person, languages));
    this.commonHeaders(res);
    res.setHeader('content-security-policy', this.view.contentSecurityPolicy);
    this.logger.debug(`${where}: ${STATUS[reason]} ${reason}`);
    res.status(STATUS[reason]).type('html').send(page);
  }
}

const FREQUENCIES = new Set<string>(Object.values(NotificationFrequency));

/** A select's value: a frequency, `off` (NEVER), `on` (the older form's), with the daily digest's hour from `hourField`. */
function choiceOf(form: Form, value: unknown, hourField: string): FormChoice | undefined {
  if (value === 'off') return { frequency: NotificationFrequency.NEVER };
  if (value === 'on') return { frequency: 'on' };
  if (typeof value !== 'string' || !FREQUENCIES.has(value)) return undefined;
  const hour = Number(form[hourField]);
  return { frequency: value as NotificationFrequency, ...(Number.isInteger(hour) && hour >= 0 && hour <= 23 && typeof form[hourField] === 'string' && form[hourField] !== '' && { digestHour: hour }) };
}

/**
 * The full form's fields: `notificationsEnabled`; `type.<TYPE>` (a frequency, or off)
 * with `digestHour.<TYPE>`; `override.<i>` (a frequency, off, or default) with
 * `overrideType.<i>`, `overrideApp.<i>` and `overrideDigestHour.<i>`; and, when
 * `quiet` is on the form, `quiet` (own, or default: the defaults), `quietEnabled`,
 * `quietStart`, `quietEnd`, `quietWeekends`, `quietBreak.<TYPE>`.
 */
function allPreferences(form: Form): AllPreferences {
  const types: AllPreferences['types'] = {};
  for (const type of NOTIFICATION_TYPES) {
    const choice = choiceOf(form, form[`type.${type}`], `digestHour.${type}`);
    if (choice) types[type] = choice;
  }
  const overrides: AllPreferences['overrides'] = [];
  for (const key of Object.keys(form)) {
    const index = /^override\.(\d{1,4})$/.exec(key)?.[1];
    if (index === undefined) continue;
    const [value, eventType, applicationId] = [form[key], form[`overrideType.${index}`], form[`overrideApp.${index}`]];
    if (!(NOTIFICATION_TYPES as readonly unknown[]).includes(eventType) || typeof applicationId !== 'string') continue;
    const choice = value === 'default' ? null : choiceOf(form, value, `overrideDigestHour.${index}`);
    if (choice !== undefined) overrides.push({ eventType: eventType as NotificationType, applicationId, choice });
  }
  let quietHours: AllPreferences['quietHours'];
  if (form.quiet === 'default') quietHours = { reset: true };
  else if (form.quiet === 'own') {
    quietHours = {
      enabled: form.quietEnabled === 'on',
      start: String(form.quietStart ?? ''),
      end: String(form.quietEnd ?? ''),
      weekends: form.quietWeekends === 'on',
      breakThrough: NOTIFICATION_TYPES.filter((type) => form[`quietBreak.${type}`] === 'on'),
    };
  }
  return { notificationsEnabled: form.notificationsEnabled === 'on', types, overrides, quietHours };
}
