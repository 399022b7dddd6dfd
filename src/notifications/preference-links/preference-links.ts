import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtSecret } from '../../auth/jwt-secret';
import { HeraldConfig } from '../../config/herald-config';
import { type MailHeader, replacePlaceholder } from '../../smtp/mime-message';
import { preferencesLink } from '../rendering/mail-renderer';
import { LINK_TOKEN_LENGTH, LinkTokens } from './link-tokens';

/** Paths of Herald's preferences page and one-click unsubscribe, under HERALD_PUBLIC_URL. */
export const PREFERENCES_PATH = '/preferences';
export const UNSUBSCRIBE_PATH = '/unsubscribe';
/**
 * Where the pages' forms post: relative to the page's own address (…/preferences or
 * …/unsubscribe), so that they reach Herald under whatever path HERALD_PUBLIC_URL
 * publishes it at (https://tools.example.com/herald), not the root of the host.
 */
export const FORM_ACTION = PREFERENCES_PATH.slice(1);

/**
 * The links of a mail to its recipient's preferences. With Herald's page
 * (HERALD_PUBLIC_URL set, PREFERENCES_PAGE=herald) each recipient's links carry a
 * token of their own: the body, shared by every recipient, is rendered with a
 * placeholder that `personalize` replaces in the encoded bytes, and the headers
 * offer RFC 8058's one-click unsubscribe. Otherwise every link is the console's
 * page, `<gateway>/profile/notifications`.
 */
@Injectable()
export class PreferenceLinks {
  readonly tokens: LinkTokens;
  /** Random per process: nothing an event carries can imitate it. Same length and alphabet as a token. */
  private readonly placeholder = randomBytes(64).toString('base64url').slice(0, LINK_TOKEN_LENGTH);

  constructor(secret: JwtSecret, private readonly config: HeraldConfig) {
    this.tokens = new LinkTokens(secret.value);
  }

  /** Whether the links go to Herald's own page (else to the console's). */
  get herald(): boolean {
    return this.config.preferences.page === 'herald';
  }

  /** The "change your preferences" link of the shared body. */
  bodyLink(gatewayUri: string | null): string {
    return this.herald ? this.pageUrl(this.placeholder) : preferencesLink(gatewayUri);
  }

  /** Herald's preferences page for this token. */
  pageUrl(token: string): string {
    return `${this.config.preferences.publicUrl}${PREFERENCES_PATH}?t=${token}`;
  }

  /** The body with this delivery's token in its links (valid for the links' lifetime from `now`, epoch ms), and its List-Unsubscribe headers. */
  personalize(body: Buffer, deliveryId: number, gatewayUri: string | null, now: number): { body: Buffer; headers: MailHeader[] } {
    if (!this.herald) return { body, headers: [{ key: 'List-Unsubscribe', value: `<${preferencesLink(gatewayUri)}>` }] };
    const token = this.tokens.sign(deliveryId, new Date(now + this.config.preferences.linkTtlMs));
    return {
      body: replacePlaceholder(body, this.placeholder, token),
      headers: [
        { key: 'List-Unsubscribe', value: `<${this.config.preferences.publicUrl}${UNSUBSCRIBE_PATH}?t=${token}>` },
        { key: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      ],
    };
  }
}
