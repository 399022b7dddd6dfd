import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { TLS_FIXTURES } from '../../../test/support/smtp-sink';
import { UpdateSmtpSettingsInput } from './update-smtp-settings.input';

function problems(plain: Record<string, unknown>): string[] {
  return validateSync(plainToInstance(UpdateSmtpSettingsInput, plain)).map((e) => e.property);
}

describe('UpdateSmtpSettingsInput validation', () => {
  it('accepts host names and IP addresses, rejects the rest', () => {
    for (const host of ['smtp.office365.com', 'localhost', 'relay_1.internal', '10.0.0.5', '::1']) expect(problems({ host })).toEqual([]);
    for (const host of ['bad host', 'a@b', 'x'.repeat(254), 'smtp.example.com\r\n']) expect(problems({ host })).toEqual(['host']);
  });

  it('accepts ports 1 to 65535 only', () => {
    expect(problems({ port: 1 })).toEqual([]);
    expect(problems({ port: 65535 })).toEqual([]);
    for (const port of [0, 65536, 25.5, '25']) expect(problems({ port })).toEqual(['port']);
  });

  it('accepts exactly one sender address, with or without a display name', () => {
    for (const sender of ['herald@example.com', 'Herald <herald@example.com>', '"Console, AIP" <c@example.com>', 'h@localhost']) {
      expect(problems({ sender })).toEqual([]);
    }
    for (const sender of ['a@x.test victim@y.test', '"victim@y.test" <a@x.test>', 'a@example.com, b@example.com', 'not-an-address', 'Team: a@x.com, b@x.com;', 'a@example.com\nBcc: x@y.z', 'x'.repeat(321)]) {
      expect(problems({ sender })).toEqual(['sender']);
    }
  });

  it('refuses line breaks in any text field', () => {
    expect(problems({ username: 'a\r\nb' })).toEqual(['username']);
    expect(problems({ password: 'a\nb' })).toEqual(['password']);
    expect(problems({ gatewayUri: 'http://a\n' })).toEqual(['gatewayUri']);
  });

  it('refuses NUL and other control characters in every text field, tab and line breaks too except in the CA', () => {
    const text = { host: 'relay.test', sender: 'h@x.test', username: 'u', password: 'p', gatewayUri: 'http://c.test' };
    for (const [field, value] of Object.entries(text)) {
      for (const control of ['\u0000', '\u0007', '\u001b', '\u007f', '\t']) expect(problems({ [field]: value + control })).toEqual([field]);
    }
    expect(problems({ caCertificate: `${TLS_FIXTURES.cert}\u0000` })).toEqual(['caCertificate']);
  });

  it('wants an http(s) gateway URI', () => {
    for (const gatewayUri of ['http://localhost:8081', 'https://console.example.com/aip']) expect(problems({ gatewayUri })).toEqual([]);
    for (const gatewayUri of ['ftp://x', 'localhost:8081', 'javascript:alert(1)']) expect(problems({ gatewayUri })).toEqual(['gatewayUri']);
  });

  it('wants a parseable PEM certificate as CA', () => {
    expect(problems({ caCertificate: TLS_FIXTURES.cert })).toEqual([]);
    expect(problems({ caCertificate: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' })).toEqual(['caCertificate']);
  });

  it('bounds timeouts and the pool', () => {
    expect(problems({ connectionTimeoutMs: 99, greetingTimeoutMs: 600_001, socketTimeoutMs: 50, poolSize: 0 }).sort()).toEqual(
      ['connectionTimeoutMs', 'greetingTimeoutMs', 'poolSize', 'socketTimeoutMs'],
    );
    expect(problems({ poolSize: 51 })).toEqual(['poolSize']);
  });

  it('lets null through (null clears a field)', () => {
    expect(problems({ sender: null, username: null, caCertificate: null, gatewayUri: null })).toEqual([]);
  });
});
