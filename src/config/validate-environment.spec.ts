import { loadConfig } from './herald-config';
import { InvalidEnvironmentError, validateEnvironment } from './validate-environment';

describe('environment validation', () => {
  it('gives defaults for an empty environment: SQLite under ./data, port 3000', () => {
    const config = loadConfig({}, '/nonexistent/.env');
    expect(config.http).toEqual({ host: '0.0.0.0', port: 3000, corsOrigins: [] });
    expect(config.database).toEqual({ type: 'sqlite', path: expect.stringMatching(/\/data\/herald\.sqlite$/) });
    expect(config.secretKey.createIfMissing).toBe(true);
  });

  it('selects PostgreSQL with DATABASE_URL, where keys must be given rather than generated', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/herald', DATABASE_SCHEMA: 'notify' }, '/nonexistent/.env');
    expect(config.database).toEqual({ type: 'postgres', url: 'postgres://u:p@db:5432/herald', schema: 'notify' });
    expect(config.secretKey.createIfMissing).toBe(false);
    expect(config.jwt.createIfMissing).toBe(false);
  });

  it('converts numbers and booleans and treats empty values as unset', () => {
    const vars = validateEnvironment({ PORT: '8080', MIGRATIONS_RUN: 'false', GRAPHQL_IDE: 'off', LOG_FORMAT: '' });
    expect(vars).toMatchObject({ PORT: 8080, MIGRATIONS_RUN: false, GRAPHQL_IDE: false, LOG_FORMAT: 'text' });
  });

  it('names each bad variable and the reason in one error, without echoing secrets', () => {
    let error: InvalidEnvironmentError | undefined;
    try {
      validateEnvironment({ PORT: 'eighty', DATABASE_URL: 'mysql://secret-pass@x', JWT_SECRET: 'short-secret', LOG_FORMAT: 'xml' });
    } catch (e) {
      error = e as InvalidEnvironmentError;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT must be an integer number.*\(got "eighty"\)$/),
        'DATABASE_URL must be a postgres:// or postgresql:// URL',
        'JWT_SECRET must be at least 32 characters',
        expect.stringMatching(/^LOG_FORMAT must be one of the following values: text, json/),
      ]),
    );
    expect(error!.message).not.toContain('secret-pass');
    expect(error!.message).not.toContain('short-secret');
    expect(error!.message.split('\n')).toHaveLength(1);
  });

  it('asks for the webhook secret with the webhook, and echoes neither it, the URL nor the metrics token', () => {
    expect(() => validateEnvironment({ ALERT_WEBHOOK_URL: 'https://oncall.example.com/hooks/t0ken' })).toThrow(
      'ALERT_WEBHOOK_SECRET must be set with ALERT_WEBHOOK_URL (it signs the webhook)',
    );
    let error: InvalidEnvironmentError | undefined;
    try {
      validateEnvironment({ ALERT_WEBHOOK_URL: 'ftp://t0ken@x', ALERT_WEBHOOK_SECRET: 'short-hook', METRICS_TOKEN: 'short-scrape' });
    } catch (e) {
      error = e as InvalidEnvironmentError;
    }
    expect(error!.problems).toEqual([
      'METRICS_TOKEN must be at least 16 characters',
      'ALERT_WEBHOOK_URL must be an http:// or https:// URL',
      'ALERT_WEBHOOK_SECRET must be at least 16 characters',
    ]);
    expect(error!.message).not.toMatch(/t0ken|short-hook|short-scrape/);
    const config = loadConfig({ ALERT_WEBHOOK_URL: 'https://oncall.example.com/h', ALERT_WEBHOOK_SECRET: 'a-secret-long-enough' }, '/nonexistent/.env');
    expect(config.alerts).toEqual({ afterMs: 600_000, webhook: { url: 'https://oncall.example.com/h', secret: 'a-secret-long-enough' } });
    expect(config.metrics).toEqual({ enabled: true, token: undefined });
  });

  it('takes a fallback relay for the outage mail as an smtp(s):// URL, and never echoes it (it holds a password)', () => {
    let error: InvalidEnvironmentError | undefined;
    try {
      validateEnvironment({ ALERT_SMTP_URL: 'https://alerts:pa55word@mail.example.com', ALERT_SMTP_FROM: 'not-an-address', RELAY_FAILURES_PER_MESSAGE: '0' });
    } catch (e) {
      error = e as InvalidEnvironmentError;
    }
    expect(error!.problems).toEqual([
      expect.stringMatching(/^ALERT_SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL, e\.g\. smtps:\/\/user:password@host:465/),
      'ALERT_SMTP_FROM must be one email address, optionally with a display name (got "not-an-address")',
      expect.stringMatching(/^RELAY_FAILURES_PER_MESSAGE must not be less than 1/),
    ]);
    expect(error!.message).not.toContain('pa55word');
    expect(() => validateEnvironment({ ALERT_SMTP_URL: 'smtp://alerts:pa55#word@mail.example.com:587' })).toThrow(
      /^invalid configuration: ALERT_SMTP_URL cannot be read as a URL \(percent-encode the special characters of the user and password\)$/,
    );
    const config = loadConfig({ ALERT_SMTP_URL: 'smtps://alerts%40example.com:pa55word@mail.example.com:465' }, '/nonexistent/.env');
    expect(config.alerts.fallbackRelay).toEqual({ url: 'smtps://alerts%40example.com:pa55word@mail.example.com:465', from: undefined });
    expect(config.relay.failuresPerMessage).toBe(5);
    expect(loadConfig({}, '/nonexistent/.env').alerts.fallbackRelay).toBeUndefined();
  });

  it('takes the longest token lifetime as a duration (JWT_MAX_LIFETIME, 24h by default), naming the variable when it is not one', () => {
    expect(loadConfig({}, '/nonexistent/.env').jwt.maxLifetime).toEqual({ seconds: 86_400, text: '24h' });
    expect(loadConfig({ JWT_MAX_LIFETIME: '30m' }, '/nonexistent/.env').jwt.maxLifetime).toEqual({ seconds: 1800, text: '30m' });
    expect(loadConfig({ JWT_MAX_LIFETIME: '7d' }, '/nonexistent/.env').jwt.maxLifetime.seconds).toBe(7 * 86_400);
    expect(loadConfig({ JWT_MAX_LIFETIME: '900' }, '/nonexistent/.env').jwt.maxLifetime).toEqual({ seconds: 900, text: '900s' });
    for (const bad of ['forever', '0', '-1h', '1.5h', '24 h', '1w']) {
      expect(() => validateEnvironment({ JWT_MAX_LIFETIME: bad })).toThrow(
        `invalid configuration: JWT_MAX_LIFETIME must be a duration: seconds, or a number with s, m, h or d (e.g. 24h) (got "${bad}")`,
      );
    }
    expect(() => validateEnvironment({ JWT_MAX_LIFETIME: '366d' })).toThrow('JWT_MAX_LIFETIME must be at most 365d (got "366d")');
  });

  it('takes CORS_ORIGINS as comma-separated exact origins (none by default), naming the variable and the entry that is not one', () => {
    expect(loadConfig({}, '/nonexistent/.env').http.corsOrigins).toEqual([]);
    const config = loadConfig({ CORS_ORIGINS: 'https://console.example.com, http://localhost:8081,https://[::1]:4443' }, '/nonexistent/.env');
    expect(config.http.corsOrigins).toEqual(['https://console.example.com', 'http://localhost:8081', 'https://[::1]:4443']);
    const problem = (value: string) => {
      try {
        validateEnvironment({ CORS_ORIGINS: value });
      } catch (error) {
        return (error as InvalidEnvironmentError).problems;
      }
      return [];
    };
    expect(problem('*')).toEqual(['CORS_ORIGINS lists exact origins: "*" (any origin) is not allowed']);
    expect(problem('https://console.example.com/')).toEqual([
      'CORS_ORIGINS: "https://console.example.com/" is not an origin (scheme://host[:port], without path, query or trailing slash)',
    ]);
    expect(problem('https://console.example.com,console.example.com,ftp://x.example.com,https://a.example.com/app')).toEqual([
      'CORS_ORIGINS: "console.example.com" is not an origin (scheme://host[:port], without path, query or trailing slash)',
      'CORS_ORIGINS: "ftp://x.example.com" is not an origin (scheme://host[:port], without path, query or trailing slash)',
      'CORS_ORIGINS: "https://a.example.com/app" is not an origin (scheme://host[:port], without path, query or trailing slash)',
    ]);
    expect(problem('https://Console.Example.com')).toEqual([
      'CORS_ORIGINS: "https://Console.Example.com" is not an origin as browsers send it (write "https://console.example.com")',
    ]);
    expect(problem('https://a.example.com,,')).toEqual(['CORS_ORIGINS has an empty entry (two commas in a row, or one at an end)']);
  });
});
