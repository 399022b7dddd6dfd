import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { HeraldConfig } from '../../config/herald-config';

/** Ranges no webhook may reach unless WEBHOOK_ALLOWED_RANGES names them: this host, its networks, the cloud's metadata service. */
const INTERNAL_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4'];
const INTERNAL_V6 = ['::/127', 'fc00::/7', 'fe80::/10', 'ff00::/8', '64:ff9b::/96', '100::/64'];

/** Why a webhook URL or the address it resolves to is refused: says which part, never the URL. */
export class TargetAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetAddressError';
  }
}

/** The host could not be resolved now (a DNS failure, no address): transient, unlike a refusal. */
export class TargetLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetLookupError';
  }
}

/** Where a webhook goes: its URL, and the address to connect to (pinned: resolved and checked once for this request). */
export interface ResolvedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

function blockList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [network, bits] = range.split('/');
    const family = isIP(network);
    if (!family || !/^\d+$/.test(bits ?? '')) throw new Error(`WEBHOOK_ALLOWED_RANGES: "${range}" is not a CIDR range`);
    list.addSubnet(network, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/**
 * Where Herald may post for a team (SSRF rules): https only (http when
 * WEBHOOK_ALLOW_HTTP says so, for tests), no credentials in the URL, a host
 * WEBHOOK_ALLOWED_HOSTS allows, and never an address in a loopback, link-local or
 * private range (nor the cloud metadata service) unless WEBHOOK_ALLOWED_RANGES names
 * it. Names are resolved when a target is added and again before every request,
 * whose connection then goes to the address checked (a name that resolves elsewhere
 * a second later is not asked again).
 */
@Injectable()
export class AddressRules {
  private readonly internal = blockList([...INTERNAL_V4, ...INTERNAL_V6]);
  private readonly allowedRanges: BlockList;
  private readonly rules: HeraldConfig['webhooks'];

  constructor(config: HeraldConfig) {
    this.rules = config.webhooks;
    this.allowedRanges = blockList(this.rules.allowedRanges);
  }

  /** The URL as Herald will post to it, or a TargetAddressError saying what is wrong (the URL is never quoted). */
  parse(text: string): URL {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw new TargetAddressError('is not a URL');
    }
    // The URL parser drops tab, CR and LF and %-encodes spaces and controls: what it would post to is not what was given.
    if (/[\s\u0000-\u001f\u007f-\u009f]/.test(text.trim())) throw new TargetAddressError('must be one URL, without white space or control characters');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.rules.allowHttp)) throw new TargetAddressError('must be an https:// URL');
    if (url.username || url.password) throw new TargetAddressError('must not carry a user name or password');
    const host = hostOf(url);
    if (!this.hostAllowed(host)) throw new TargetAddressError(`is on ${host}, which is not among the hosts an admin allows for webhooks (WEBHOOK_ALLOWED_HOSTS)`);
    if (isIP(host)) this.checkAddress(host, host);
    return url;
  }

  /** Resolves the URL's host and checks every address it has; the first is the one to connect to. */
  async resolve(url: URL): Promise<ResolvedTarget> {
    const host = hostOf(url);
    if (!this.hostAllowed(host)) throw new TargetAddressError(`${host} is no longer among the hosts allowed for webhooks (WEBHOOK_ALLOWED_HOSTS)`);
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        throw new TargetLookupError(`${host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`);
      }
    }
    if (!addresses.length) throw new TargetLookupError(`${host} has no address`);
    // One internal address among them is enough to refuse: the next lookup may hand it out first.
    for (const { address } of addresses) this.checkAddress(host, address);
    const [first] = addresses;
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  private hostAllowed(host: string): boolean {
    return this.rules.allowedHosts.some((pattern) => pattern === '*' || pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1))));
  }

  private checkAddress(host: string, address: string): void {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const ip = mapped ?? address;
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (this.internal.check(ip, type) && !this.allowedRanges.check(ip, type)) {
      throw new TargetAddressError(host === address ? `${host} is a loopback, link-local or private address: refused` : `${host} resolves to ${address}, a loopback, link-local or private address: refused`);
    }
  }
}

/** The host of a URL, lower case, without an IPv6 literal's brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}
