import type { HeraldConfig } from '../../config/herald-config';
import { SystemClock } from '../../clock/clock';
import { AddressRules, TargetAddressError, TargetLookupError } from './address-rules';
import { classifyAnswer } from './answer-classification';
import { WebhookHttp } from './webhook-http';

const rules = (webhooks: Partial<HeraldConfig['webhooks']> = {}) =>
  new AddressRules({ webhooks: { allowedHosts: ['hooks.slack.com', '*.logic.azure.com'], allowedRanges: [], allowHttp: false, timeoutMs: 1000, ...webhooks } } as HeraldConfig);
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TargetAddressError);
    return (error as Error).message;
  }
  return undefined;
};

describe('AddressRules (where a webhook may post)', () => {
  it('takes https URLs on the hosts allowed, subdomains by *.', () => {
    expect(rules().parse('https://hooks.slack.com/services/T/B/x').hostname).toBe('hooks.slack.com');
    expect(rules().parse('https://prod-12.westeurope.logic.azure.com:443/workflows/x').hostname).toBe('prod-12.westeurope.logic.azure.com');
    expect(refusal(() => rules().parse('https://logic.azure.com.evil.example/x'))).toMatch(/not among the hosts/);
    expect(refusal(() => rules().parse('https://evillogic.azure.com/x'))).toMatch(/not among the hosts/);
    expect(refusal(() => rules().parse('http://hooks.slack.com/x'))).toBe('must be an https:// URL');
    expect(rules({ allowHttp: true }).parse('http://hooks.slack.com/x').protocol).toBe('http:');
    expect(refusal(() => rules().parse('not a url'))).toBe('is not a URL');
  });

  it('refuses internal addresses written as IPs, v4 and v6, mapped or not, unless a range is allowed', () => {
    const any = rules({ allowedHosts: ['*'] });
    for (const url of ['https://127.0.0.1/', 'https://10.1.2.3/', 'https://172.16.0.1/', 'https://192.168.1.1/', 'https://169.254.169.254/', 'https://0.0.0.0/', 'https://100.64.0.1/', 'https://[::1]/', 'https://[fe80::1]/', 'https://[fd00::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:a9fe:a9fe]/']) {
      expect([url, refusal(() => any.parse(url))]).toEqual([url, expect.stringMatching(/a loopback, link-local or private address: refused$/)]);
    }
    expect(any.parse('https://93.184.215.14/').hostname).toBe('93.184.215.14');
    expect(rules({ allowedHosts: ['*'], allowedRanges: ['10.1.2.0/24'] }).parse('https://10.1.2.3/').hostname).toBe('10.1.2.3');
    expect(refusal(() => rules({ allowedHosts: ['*'], allowedRanges: ['10.1.2.0/24'] }).parse('https://10.1.3.3/'))).toMatch(/refused$/);
  });

  it('refuses a name that resolves to an internal address, after resolving it', async () => {
    await expect(rules({ allowedHosts: ['*'] }).resolve(new URL('https://localhost/x'))).rejects.toThrow(/^localhost resolves to (127\.0\.0\.1|::1), a loopback, link-local or private address: refused$/);
  });

  it('takes a name that does not resolve now for a lookup failure, not a refusal: the post is tried again later', async () => {
    const any = rules({ allowedHosts: ['*'] });
    await expect(any.resolve(new URL('https://nowhere.invalid/x'))).rejects.toBeInstanceOf(TargetLookupError);
    const config = { webhooks: { allowedHosts: ['*'], allowedRanges: [], allowHttp: false, timeoutMs: 1000 } } as unknown as HeraldConfig;
    const answer = await new WebhookHttp(any, new SystemClock(), config).post(new URL('https://nowhere.invalid/x'), '{}', {});
    expect(answer).toMatchObject({ answered: false, step: 'RESOLVE', refused: false });
    expect(classifyAnswer(answer, 'nowhere.invalid', Date.now()).outcome).toBe('transient');
  });

  it('stops start-up on a range it cannot read', () => {
    expect(() => rules({ allowedRanges: ['10.0.0.0'] })).toThrow('WEBHOOK_ALLOWED_RANGES: "10.0.0.0" is not a CIDR range');
  });
});
