import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Clock } from '../../../clock/clock';
import { SmtpSettingsChangedEvent } from '../../../settings/smtp-settings/smtp-settings-changed.event';
import { graphMailbox, isConfigured, type SmtpSettings } from '../../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../../settings/smtp-settings/smtp-settings.service';
import { RelayHealth } from '../../../smtp/relay-health/relay-health';
import { type AccessToken, type OAuth2TokenSource, type SmtpCheckResult, SmtpGateway } from '../../../smtp/smtp-gateway';
import type { EncodedMail, MailHold, MailRoute, MailTransport, TransportFailure } from '../../mail-transport.port';
import { RelayHealthTransport } from '../relay-health-transport';
import { ConcurrencyLimit } from './concurrency-limit';
import { GraphApi } from './graph-api';
import { GraphCheck, type GraphCheckTarget } from './graph-check';
import { classifyGraphFailure } from './graph-failure';

/** Graph takes at most this many requests at once per mailbox (more: 429 MailboxConcurrency). */
export const GRAPH_REQUESTS_PER_MAILBOX = 4;

/** One generation of the settings: the API for the mailbox and its tokens (made on first use). */
interface GraphRoute extends MailRoute {
  readonly settings: SmtpSettings;
  readonly api: GraphApi;
  readonly tokens: LazyTokens;
}

/** The scope of Graph's tokens: the endpoint's `.default` (the app's application permissions). */
export function graphScope(settings: SmtpSettings): string {
  return `${endpointOf(settings)}/.default`;
}

function endpointOf(settings: SmtpSettings): string {
  return settings.graphEndpoint.replace(/\/+$/, '');
}

/**
 * A token source made at the first request, not with the route: a secret this
 * server cannot decrypt then fails that request (the transport as a whole, AUTH)
 * rather than the building of the route.
 */
class LazyTokens {
  private source?: OAuth2TokenSource;
  private closed = false;

  constructor(private readonly make: () => OAuth2TokenSource) {}

  token(options?: { renew?: boolean }): Promise<AccessToken> {
    try {
      if (!this.source) {
        this.source = this.make();
        if (this.closed) this.source.close(); // made for a request of a retired route: no background refresh
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.source.token(options);
  }

  endpoint(): string {
    return this.source?.endpoint() ?? '(token endpoint)';
  }

  close(): void {
    this.closed = true;
    this.source?.close();
  }
}

/**
 * Mail through Microsoft Graph (`POST {graphEndpoint}/v1.0/users/{mailbox}/sendMail`),
 * for tenants where SMTP AUTH is off: Herald's own MIME in base64, so every header it
 * writes (Message-ID, List-Unsubscribe, threading) reaches the reader unchanged. The
 * app's token comes from the settings' OAuth2 client credentials (the grant of
 * src/smtp/oauth2, scope `<graphEndpoint>/.default`), cached and refreshed. At most
 * 4 requests at once per mailbox, in this process. Health, circuit, pacing and quota
 * are the relay's (RelayHealthTransport: one transport in use at a time); its probe is this
 * transport's check (token, mailbox). Failures are classified by classifyGraphFailure.
 */
@Injectable()
export class GraphTransport extends RelayHealthTransport implements MailTransport, OnApplicationShutdown {
  readonly name = 'microsoft-graph';
  private readonly logger = new Logger('GraphTransport');
  /** The route of the current settings (a new one when they change; the old one's token source is closed). */
  private current?: GraphRoute;
  /** Per endpoint and mailbox: shared by the routes, the checks and the test mails of all generations. */
  private readonly limits = new Map<string, ConcurrencyLimit>();

  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly gateway: SmtpGateway,
    health: RelayHealth,
    private readonly clock: Clock,
  ) {
    super(health);
  }

  async isConfigured(): Promise<boolean> {
    return isConfigured(await this.settings.get());
  }

  refresh(): Promise<void> {
    return this.health.refresh((settings) => this.verify(settings));
  }

  async route(): Promise<MailRoute | undefined> {
    const settings = await this.settings.get();
    if (!isConfigured(settings)) return undefined;
    if (this.current?.settings !== settings) {
      this.retire();
      this.current = this.routeFor(settings);
      this.logger.log(`${this.current.name}: tokens for ${graphScope(settings)} from ${settings.oauth2TokenUrl ? 'oauth2TokenUrl' : `tenant ${settings.oauth2TenantId}`}`);
    }
    return this.current;
  }

  /** New settings: the next mail makes a new route (new tokens); the old one's refresh stops. */
  @OnEvent(SmtpSettingsChangedEvent.NAME)
  onSettingsChanged(): void {
    this.retire();
  }

  onApplicationShutdown(): void {
    this.retire();
  }

  /** Stops the current route's background token refresh; requests under way keep the token they have. */
  private retire(): void {
    this.current?.tokens.close();
    this.current = undefined;
  }

  reserve(route: MailRoute): Promise<MailHold | undefined> {
    return this.health.reserve((route as GraphRoute).settings);
  }

  send(route: MailRoute, mail: EncodedMail): Promise<string | null> {
    return (route as GraphRoute).api.sendMail(mail.raw);
  }

  classify(error: unknown): TransportFailure {
    return this.transportFailure(classifyGraphFailure(error));
  }

  /** TOKEN, MAILBOX (SEND skipped) with these settings, on tokens of their own (closed after). */
  async verify(settings: SmtpSettings): Promise<SmtpCheckResult> {
    const route = this.routeFor(settings);
    try {
      return await new GraphCheck(() => this.checkTarget(route)).verify();
    } finally {
      route.tokens.close();
    }
  }

  /** The test mail through the live route: its tokens, its mailbox's limit. */
  async sendTest(to: string): Promise<SmtpCheckResult> {
    const route = (await this.route()) as GraphRoute | undefined;
    if (!route) return GraphCheck.notConfigured();
    return new GraphCheck(() => this.checkTarget(route)).sendTest({ to, sender: route.sender, sentAt: this.clock.date() });
  }

  private routeFor(settings: SmtpSettings): GraphRoute {
    const endpoint = endpointOf(settings);
    const mailbox = graphMailbox(settings);
    const key = `${endpoint}|${mailbox.toLowerCase()}`;
    let limit = this.limits.get(key);
    if (!limit) this.limits.set(key, (limit = new ConcurrencyLimit(GRAPH_REQUESTS_PER_MAILBOX)));
    const tokens = new LazyTokens(() => this.gateway.tokens(settings, graphScope(settings)));
    const api = new GraphApi({
      endpoint,
      mailbox,
      token: (options) => tokens.token(options),
      timeoutMs: settings.socketTimeoutMs,
      limit,
      now: () => this.clock.now(),
    });
    return { settings, api, tokens, name: `Microsoft Graph ${api.host} as ${mailbox}`, sender: settings.sender ?? mailbox, gatewayUri: settings.gatewayUri, connections: GRAPH_REQUESTS_PER_MAILBOX };
  }

  private checkTarget(route: GraphRoute): GraphCheckTarget {
    return {
      api: route.api,
      token: () => route.tokens.token(),
      get tokenEndpoint() {
        return route.tokens.endpoint();
      },
      scope: graphScope(route.settings),
    };
  }
}
