import { createHash } from 'node:crypto';
import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { Public } from '../../auth/auth.decorators';
import { HtmlPage, type RefusesBodies } from '../../http/html-pages';
import { type ConfirmationLink, CONFIRM_PATH, SubscribedAddressesService } from './subscribed-addresses.service';

/** What this controller uses of Express's response. */
interface Response {
  setHeader(name: string, value: string): unknown;
  status(code: number): { type(type: string): { send(body: string): unknown } };
}

const STYLE = 'body{margin:0;padding:24px;background:#f5f6f8;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;line-height:1.5}main{max-width:640px;margin:0 auto;background:#fff;border-radius:6px;padding:24px}';
/** No script, nothing loaded, only the page's own <style> (by hash), forms posted back to Herald only, never framed. */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
/**
 * Where the button posts: relative to the page (…/subscriptions/confirm), so that it reaches
 * Herald under the path HERALD_PUBLIC_URL publishes it at (https://tools.example.com/herald).
 */
const FORM_ACTION = CONFIRM_PATH.slice(CONFIRM_PATH.lastIndexOf('/') + 1);
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page a subscription's confirmation link opens (no login: the signed token
 * is the key). A GET only shows what is asked and a button — mail scanners follow
 * links, and a GET never changes anything; the button's POST confirms.
 */
@Controller()
@Public()
@HtmlPage(CONFIRM_PATH)
export class ConfirmationPageController implements RefusesBodies {
  constructor(private readonly subscriptions: SubscribedAddressesService) {}

  /** A body refused before confirm() ran (over HTTP_BODY_LIMIT, say): this page's refusal, in HTML. */
  async refuseBody(_path: string, status: number, _request: unknown, response: unknown): Promise<void> {
    const what = status === 413 ? 'is larger than this page sends' : 'is not what this page sends';
    this.send(response as Response, status, 'This link does not work', `<p role="alert">Nothing was changed: what was sent ${what}. Open the link of the mail again.</p>`);
  }

  @Get(CONFIRM_PATH)
  async show(@Query('t') token: unknown, @Res() res: Response): Promise<void> {
    const link = await this.subscriptions.openConfirmation(token);
    if (!link) return this.send(res, 410, 'This link does not work', '<p role="alert">This confirmation link is not valid, has expired, or was used already (or a newer one was sent).</p>');
    this.send(
      res,
      200,
      'Confirm the subscription',
      `<p>${about(link)}</p><form method="post" action="${FORM_ACTION}"><input type="hidden" name="t" value="${escape(link.token)}"><button type="submit">Confirm the subscription</button></form>`,
    );
  }

  @Post(CONFIRM_PATH)
  async confirm(@Body() form: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const link = await this.subscriptions.confirm(form?.t);
    if (!link) return this.send(res, 410, 'This link does not work', '<p role="alert">This confirmation link is not valid, has expired, or was used already (or a newer one was sent).</p>');
    this.send(res, 200, 'Subscription confirmed', `<p role="status">Confirmed: ${escape(link.subscription.address)} now receives Herald's notifications about ${escape(link.application.name)}. Each of them has a link to unsubscribe.</p>`);
  }

  private send(res: Response, status: number, title: string, body: string): void {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.status(status).type('html').send(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`,
    );
  }
}

function about(link: ConfirmationLink): string {
  return `Send Herald's notifications about the application ${escape(link.application.name)} (${escape(link.application.externalId)}) to ${escape(link.subscription.address)}? Nothing is sent to it until you confirm.`;
}
