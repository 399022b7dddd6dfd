import { readFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { AddressRules, hostOf, TargetAddressError, TargetLookupError } from './address-rules';

/** The host's lookup took longer than the attempt may. */
class LookupTimeout extends Error {}

/** The steps of one post, in order: the name resolved and checked, the connection (TLS included), the request and its answer. */
export type WebhookStep = 'RESOLVE' | 'CONNECT' | 'TLS' | 'SEND';

/** How one post ended: an HTTP answer, or a failure at a step (never the URL, never a secret). */
export type WebhookAnswer =
  | { answered: true; status: number; retryAfter: string | null; body: string; ms: number; reached: WebhookStep[] }
  | { answered: false; step: WebhookStep; timedOut: boolean; refused: boolean; description: string; ms: number; reached: WebhookStep[] };

/** What of an answer's body is kept (for the delivery log's reply): a few lines of an error. */
const BODY_BYTES = 1024;

/**
 * POSTs to a webhook with the SSRF rules (AddressRules) applied at the moment of
 * the request: the host is resolved and checked, and the connection goes to that
 * address (the URL's name kept for TLS and the Host header). An answer within
 * WEBHOOK_TIMEOUT_MS, or the step it failed at. Never logs and never says the URL
 * (it posts as the team): only its host.
 */
@Injectable()
export class WebhookHttp {
  private readonly ca?: string[];
  private readonly timeoutMs: number;

  constructor(
    private readonly rules: AddressRules,
    private readonly clock: Clock,
    config: HeraldConfig,
  ) {
    this.timeoutMs = config.webhooks.timeoutMs;
    if (config.webhooks.caFile) this.ca = [...rootCertificates, readFileSync(config.webhooks.caFile, 'utf8')];
  }

  async post(url: URL, body: string, headers: Record<string, string>): Promise<WebhookAnswer> {
    const start = this.clock.now();
    const reached: WebhookStep[] = [];
    const host = hostOf(url);
    let target;
    let lookupTimer: NodeJS.Timeout | undefined;
    try {
      // The lookup counts in the attempt's time too: a resolver that hangs is this attempt's transient failure.
      const timedOut = new Promise<never>((_, reject) => {
        lookupTimer = setTimeout(() => reject(new LookupTimeout()), this.timeoutMs);
      });
      target = await Promise.race([this.rules.resolve(url), timedOut]);
    } catch (error) {
      // Refused (an internal address, a host no longer allowed): final. Not resolved now (DNS down, no answer in time): transient.
      const refused = error instanceof TargetAddressError;
      const timedOut = error instanceof LookupTimeout;
      const description = refused || error instanceof TargetLookupError ? (error as Error).message : timedOut ? `${host} was not resolved within ${this.timeoutMs} ms` : `${host} could not be resolved`;
      return { answered: false, step: 'RESOLVE', timedOut, refused, description, ms: this.clock.now() - start, reached };
    } finally {
      clearTimeout(lookupTimer);
    }
    reached.push('RESOLVE');
    const pinned: LookupFunction = (_name, options, callback) => {
      // Node asks with { all: true } (happy eyeballs) or without: answer the checked address either way.
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    const secure = url.protocol === 'https:';
    return new Promise<WebhookAnswer>((resolve) => {
      let step: WebhookStep = 'CONNECT';
      let done = false;
      const finish = (answer: WebhookAnswer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const fail = (description: string, timedOut = false) =>
        finish({ answered: false, step, timedOut, refused: false, description, ms: this.clock.now() - start, reached: [...reached] });
      const options = {
        method: 'POST',
        // A connection of its own: to the address just checked (a pooled one may be older), and its steps seen.
        agent: false,
        lookup: pinned,
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Herald', ...headers },
        ...(secure && { servername: isIpLiteral(host) ? undefined : host, ...(this.ca && { ca: this.ca }) }),
      };
      // Once the status line came, that is the answer, even if the body then stops short or
      // drags past the timeout: the webhook took the message (or said why not), and posting it
      // again because its body was slow would post it twice.
      const chunks: Buffer[] = [];
      let response: IncomingMessage | undefined;
      const answered = (res: IncomingMessage) => {
        const retryAfter = res.headers['retry-after'];
        finish({ answered: true, status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: Buffer.concat(chunks).toString('utf8'), ms: this.clock.now() - start, reached: [...reached, 'SEND'] });
      };
      const req: ClientRequest = (secure ? httpsRequest : httpRequest)(url, options, (res: IncomingMessage) => {
        response = res;
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < BODY_BYTES) chunks.push(chunk.subarray(0, BODY_BYTES - kept));
          kept += chunk.length;
        });
        res.on('end', () => answered(res));
        res.on('error', () => answered(res));
      });
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          reached.push('CONNECT');
          step = secure ? 'TLS' : 'SEND';
        });
        socket.once('secureConnect', () => {
          reached.push('TLS');
          step = 'SEND';
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => (response ? answered(response) : fail(describe(host, step, error))));
      // A hanging server is this attempt's transient failure, not a worker held for ever.
      const timer = setTimeout(() => {
        if (response) answered(response);
        else fail(`${host} did not answer within ${this.timeoutMs} ms`, true);
        req.destroy();
      }, this.timeoutMs);
      req.end(body);
    });
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** One line about a failed connection or request: the host and the error's code, never the URL. */
function describe(host: string, step: WebhookStep, error: NodeJS.ErrnoException): string {
  const code = error.code ?? error.name;
  if (step === 'TLS') return `${host}: the TLS handshake failed (${code}${/certificate|self.signed|verify/i.test(error.message) ? ': the certificate is not trusted' : ''})`;
  if (step === 'CONNECT') return `${host}: could not connect (${code})`;
  return `${host}: the request failed (${code})`;
}
