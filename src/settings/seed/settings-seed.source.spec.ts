import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpSecurity } from '../smtp-settings/smtp-settings';
import { InvalidSeedError, readSeedFile, type SeedVariable, seedFromEnvironment, seedInput } from './settings-seed.source';

function yaml(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'herald-seed-')), 'settings.yml');
  writeFileSync(file, text);
  return file;
}

describe('first-start settings seed', () => {
  it('maps the seed page variables to settings', () => {
    const input = seedInput({
      SMTP_HOST: ' smtp.example.com ',
      SMTP_PORT: '587',
      SMTP_SENDER: 'Console <console@example.com>',
      SMTP_USERNAME: 'user',
      SMTP_PASSWORD: 'pw',
      SMTP_AUTH: 'true',
      SMTP_STARTTLS_ENABLE: 'true',
      GATEWAY_URI: 'http://localhost:8081',
    });
    expect({ ...input }).toEqual({
      host: 'smtp.example.com',
      port: 587,
      sender: 'Console <console@example.com>',
      username: 'user',
      password: 'pw',
      authEnabled: true,
      security: SmtpSecurity.STARTTLS,
      gatewayUri: 'http://localhost:8081',
    });
  });

  it('maps MAIL_TRANSPORT (any case) and GRAPH_ENDPOINT; a transport Herald does not have is named', () => {
    expect(seedInput({ MAIL_TRANSPORT: ' microsoft_graph ', GRAPH_ENDPOINT: 'https://graph.microsoft.us' })).toMatchObject({
      transport: 'MICROSOFT_GRAPH',
      graphEndpoint: 'https://graph.microsoft.us',
    });
    expect(() => seedInput({ MAIL_TRANSPORT: 'carrier-pigeon' })).toThrow(/MAIL_TRANSPORT must be one of the following values: SMTP, MICROSOFT_GRAPH/);
    expect(() => seedInput({ GRAPH_ENDPOINT: 'graph.microsoft.us' })).toThrow(/GRAPH_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  });

  it('derives security: SMTP_SECURITY over smtps over SMTP_STARTTLS_ENABLE', () => {
    expect(seedInput({ SMTP_STARTTLS_ENABLE: 'false' }).security).toBe(SmtpSecurity.NONE);
    expect(seedInput({ SMTP_TRANSPORT_PROTOCOL: 'smtps', SMTP_STARTTLS_ENABLE: 'true' }).security).toBe(SmtpSecurity.TLS);
    expect(seedInput({ SMTP_SECURITY: 'starttls', SMTP_TRANSPORT_PROTOCOL: 'smtps' }).security).toBe(SmtpSecurity.STARTTLS);
    expect(seedInput({}).security).toBeUndefined();
  });

  it('prefers the environment over the file, key by key', () => {
    const file = readSeedFile(yaml('SMTP_HOST: file.example.com\nSMTP_PORT: 25\nGATEWAY_URI: https://file.example.com\n'));
    const input = seedInput({ SMTP_HOST: 'env.example.com' }, file);
    expect(input).toMatchObject({ host: 'env.example.com', port: 25, gatewayUri: 'https://file.example.com' });
  });

  it('reads the old spring.mail keys, nested or dotted', () => {
    const nested = readSeedFile(
      yaml('spring:\n  mail:\n    host: relay\n    properties:\n      mail:\n        smtp:\n          auth: false\n          starttls.enable: true\n'),
    );
    expect(nested).toEqual({ SMTP_HOST: 'relay', SMTP_AUTH: 'false', SMTP_STARTTLS_ENABLE: 'true' });
    const dotted = readSeedFile(yaml('spring.mail.port: 2525\nspring.mail.properties.mail.smtp.auth: true\nunrelated: 1\n'));
    expect(dotted).toEqual({ SMTP_PORT: '2525', SMTP_AUTH: 'true' });
  });

  it('takes only the seed variables from an environment, ignoring empty ones', () => {
    expect(seedFromEnvironment({ SMTP_HOST: 'h', SMTP_PORT: '', PATH: '/bin' })).toEqual({ SMTP_HOST: 'h' });
  });

  it('names every bad variable and the reason, without echoing any value', () => {
    try {
      seedInput({ SMTP_PORT: 'abc', SMTP_AUTH: 'maybe', GATEWAY_URI: 'console', SMTP_TRANSPORT_PROTOCOL: 'pop3', SMTP_PASSWORD: 'x'.repeat(2000) });
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSeedError);
      const message = (error as Error).message;
      expect(message).toContain('SMTP_TRANSPORT_PROTOCOL must be smtp or smtps');
      expect(message).toContain('SMTP_PORT must be an integer number');
      expect(message).toMatch(/SMTP_AUTH must be a boolean value/);
      expect(message).toMatch(/GATEWAY_URI must be an http:\/\/ or https:\/\/ URL/);
      expect(message).toMatch(/SMTP_PASSWORD must be shorter than or equal to 1024 characters/);
      for (const value of ['xxxx', 'pop3', 'abc', 'maybe', 'console']) expect(message).not.toContain(value);
    }
  });

  it('refuses NUL and other control characters in every text variable, from the environment or a YAML file', () => {
    const file = readSeedFile(yaml('SMTP_USERNAME: "svc\\0x"\nSMTP_SENDER: "Herald\\e <h@example.com>"\n'));
    expect(file.SMTP_USERNAME).toBe('svc\u0000x'); // YAML's escapes do reach the values
    const cases: Array<[SeedVariable, string]> = [
      ['SMTP_HOST', 'relay\u0000.example.com'],
      ['SMTP_SENDER', 'h@example.com\u0000'],
      ['SMTP_USERNAME', 'svc\u0007'],
      ['SMTP_PASSWORD', 'pw\u0000'],
      ['GATEWAY_URI', 'http://console\u001b.example.com'],
    ];
    for (const [name, value] of cases) expect(() => seedInput({ [name]: value })).toThrow(new RegExp(`${name} must`));
    expect(() => seedInput({}, file)).toThrow(/SMTP_SENDER must .*SMTP_USERNAME must not contain control characters|SMTP_USERNAME must not contain control characters.*SMTP_SENDER must/);
  });

  it('refuses a sender that is more than one address', () => {
    for (const sender of ['a@x.test victim@y.test', '"victim@y.test" <a@x.test>', 'a@x.test, b@y.test']) {
      expect(() => seedInput({ SMTP_SENDER: sender })).toThrow(/SMTP_SENDER must be one email address/);
    }
  });
});
