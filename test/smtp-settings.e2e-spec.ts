import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { SecretCipher } from '@herald/crypto';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

const SETTINGS_FIELDS = `host port sender username passwordSet security authEnabled verifyCertificate caCertificate
  connectionTimeoutMs greetingTimeoutMs socketTimeoutMs poolSize gatewayUri configured updatedAt updatedBy`;
const QUERY = `{ smtpSettings { ${SETTINGS_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { ${SETTINGS_FIELDS} } }`;

describe(`SMTP settings through GraphQL (${DATABASE_KIND})`, () => {
  describe('first-start seed', () => {
    it('takes the seed page variables from the environment and never shows the password', async () => {
      const app = await HeraldTestApp.start({
        SMTP_HOST: 'smtp.office365.com',
        SMTP_PORT: '587',
        SMTP_SENDER: 'Console <console@example.com>',
        SMTP_USERNAME: 'console@example.com',
        SMTP_PASSWORD: 'seed-password-42',
        SMTP_TRANSPORT_PROTOCOL: 'smtp',
        SMTP_AUTH: 'true',
        SMTP_STARTTLS_ENABLE: 'true',
        GATEWAY_URI: 'http://console.example.com:8081',
      });
      try {
        const res = await app.gql(QUERY, {}, app.token(Role.ADMIN));
        expect(res.errors).toBeUndefined();
        expect(res.data.smtpSettings).toMatchObject({
          host: 'smtp.office365.com',
          port: 587,
          sender: 'Console <console@example.com>',
          username: 'console@example.com',
          passwordSet: true,
          security: 'STARTTLS',
          authEnabled: true,
          gatewayUri: 'http://console.example.com:8081',
          configured: true,
          updatedBy: 'seed',
        });
        expect(JSON.stringify(res)).not.toContain('seed-password-42');

        // Stored encrypted, as ENC(...), in the properties table.
        const row = await app.app.get(DataSource).query(
          `SELECT value FROM ${DATABASE_KIND === 'postgres' ? `"${app.storage.schema}".` : ''}properties WHERE key = 'smtp.password'`,
        );
        expect(row[0].value).toMatch(/^ENC\(v1:/);
        expect(row[0].value).not.toContain('seed-password-42');
      } finally {
        await app.close();
      }
    });

    it('reads a YAML file with the old spring.mail keys; the environment wins over the file', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'herald-seed-')), 'settings.yml');
      writeFileSync(
        file,
        [
          'spring:',
          '  mail:',
          '    host: relay.internal',
          '    port: 2525',
          '    sender: herald@internal',
          '    username: relay-user',
          '    password: yaml-pass',
          '    properties:',
          '      mail.smtp.auth: true',
          '      mail.smtp.starttls.enable: false',
          'gateway.uri: https://console.internal',
        ].join('\n'),
      );
      const app = await HeraldTestApp.start({ HERALD_SETTINGS_FILE: file, SMTP_PORT: '2626' });
      try {
        const data = await app.admin(QUERY);
        expect(data.smtpSettings).toMatchObject({
          host: 'relay.internal',
          port: 2626,
          sender: 'herald@internal',
          username: 'relay-user',
          passwordSet: true,
          authEnabled: true,
          security: 'NONE',
          gatewayUri: 'https://console.internal',
        });
      } finally {
        await app.close();
        rmSync(dirname(file), { recursive: true, force: true });
      }
    });

    it('keeps what is in the database on later starts', async () => {
      const first = await HeraldTestApp.start({ SMTP_HOST: 'first.example.com', SMTP_SENDER: 'a@example.com', SMTP_AUTH: 'false' });
      await first.admin(UPDATE, { input: { host: 'changed.example.com' } });
      await first.close({ keepData: true });
      const second = await HeraldTestApp.start({ SMTP_HOST: 'ignored.example.com', SMTP_PORT: '2525' }, first.storage);
      try {
        const data = await second.admin(QUERY);
        expect(data.smtpSettings.host).toBe('changed.example.com');
        expect(data.smtpSettings.port).toBe(587);
      } finally {
        await second.close();
      }
    });

    it('stops start-up on a bad seed value, naming the variable and the reason', async () => {
      await expect(HeraldTestApp.start({ SMTP_PORT: '99999' })).rejects.toThrow(
        /SMTP_PORT must not be greater than 65535/,
      );
      await expect(HeraldTestApp.start({ SMTP_SENDER: 'not an address' })).rejects.toThrow(/SMTP_SENDER must be one email address/);
    });

    it('never quotes a password typed inside ENC(...) by mistake', async () => {
      const failure = await HeraldTestApp.start({ SMTP_HOST: 'smtp.example.com', SMTP_PASSWORD: 'ENC(S3cr3t-Pa55!)' }).then(
        () => new Error('started'),
        (error: Error) => error,
      );
      expect(failure.message).toMatch(/SMTP_PASSWORD/);
      expect(`${failure.message}\n${failure.stack}`).not.toContain('S3cr3t');
    });
  });

  describe('updateSmtpSettings', () => {
    let app: HeraldTestApp;
    beforeAll(async () => {
      app = await HeraldTestApp.start({ SMTP_HOST: 'smtp.example.com', SMTP_SENDER: 'herald@example.com', SMTP_USERNAME: 'u', SMTP_PASSWORD: 'p' });
    });
    afterAll(() => app.close());

    it('changes only the fields given and returns the new settings', async () => {
      const before = (await app.admin(QUERY)).smtpSettings;
      const token = app.token(Role.ADMIN, 'root');
      const res = await app.gql(UPDATE, { input: { port: 2525, security: 'TLS', poolSize: 3, connectionTimeoutMs: 5000 } }, token);
      expect(res.errors).toBeUndefined();
      expect(res.data.updateSmtpSettings).toMatchObject({
        ...before,
        port: 2525,
        security: 'TLS',
        poolSize: 3,
        connectionTimeoutMs: 5000,
        updatedBy: 'root',
        updatedAt: expect.any(String),
      });
      expect((await app.admin(QUERY)).smtpSettings).toEqual(res.data.updateSmtpSettings);
    });

    it('clears a field given null, clears the password given an empty string, keeps it when absent', async () => {
      await app.admin(UPDATE, { input: { password: 'new-secret-value' } });
      expect((await app.admin(UPDATE, { input: { gatewayUri: null } })).updateSmtpSettings).toMatchObject({ gatewayUri: null, passwordSet: true });
      expect((await app.admin(UPDATE, { input: { password: '' } })).updateSmtpSettings.passwordSet).toBe(false);
    });

    it('refuses null for a field that always has a value, naming each, and saves nothing (the settings stay readable)', async () => {
      const before = (await app.admin(QUERY)).smtpSettings;
      const res = await app.gql(
        UPDATE,
        { input: { port: null, security: null, authEnabled: null, authMethod: null, verifyCertificate: null, connectionTimeoutMs: null, greetingTimeoutMs: null, socketTimeoutMs: null, poolSize: null, transport: null } },
        app.token(Role.ADMIN),
      );
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.fields!.map((f) => f.field).sort()).toEqual(
        ['authEnabled', 'authMethod', 'connectionTimeoutMs', 'greetingTimeoutMs', 'poolSize', 'port', 'security', 'socketTimeoutMs', 'transport', 'verifyCertificate'],
      );
      expect(res.errors![0].extensions.fields).toContainEqual({ field: 'port', message: 'cannot be cleared; give a value (absent keeps it)' });
      const after = await app.gql(QUERY, {}, app.token(Role.ADMIN));
      expect(after.errors).toBeUndefined();
      expect(after.data.smtpSettings).toEqual(before);
    });

    it('accepts an ENC(...) password made with the server key and refuses one made with another key', async () => {
      const key = (app.app.get(SecretCipher) as unknown as { key: Buffer }).key;
      const good = new SecretCipher(key).encrypt('from-encrypt-password');
      expect((await app.admin(UPDATE, { input: { password: good } })).updateSmtpSettings.passwordSet).toBe(true);

      const foreign = new SecretCipher(Buffer.alloc(32, 7)).encrypt('x');
      const res = await app.gql(UPDATE, { input: { password: foreign } }, app.token(Role.ADMIN));
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions.fields).toEqual([{ field: 'password', message: expect.stringMatching(/different key/) }]);

      // A password typed inside ENC(...) by mistake: refused, and never quoted back.
      const typo = await app.gql(UPDATE, { input: { password: 'ENC(S3cr3t-Pa55!)' } }, app.token(Role.ADMIN));
      expect(typo.errors?.[0].extensions.fields).toEqual([{ field: 'password', message: expect.stringMatching(/herald encrypt-password/) }]);
      expect(JSON.stringify(typo)).not.toContain('S3cr3t');
    });

    it('rejects bad input naming every field, and saves nothing', async () => {
      const before = (await app.admin(QUERY)).smtpSettings;
      const res = await app.gql(
        UPDATE,
        {
          input: {
            host: 'bad host!',
            port: 0,
            sender: 'a@example.com, b@example.com',
            username: 'evil\r\nRCPT TO:<x@y>',
            gatewayUri: 'ftp://console',
            poolSize: 500,
            caCertificate: 'not a certificate',
            connectionTimeoutMs: 5,
          },
        },
        app.token(Role.ADMIN),
      );
      expect(res.data).toBeNull();
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      const fields = res.errors![0].extensions.fields!.map((f) => f.field).sort();
      expect(fields).toEqual(['caCertificate', 'connectionTimeoutMs', 'gatewayUri', 'host', 'poolSize', 'port', 'sender', 'username']);
      expect(res.errors![0].extensions.fields).toContainEqual({ field: 'port', message: 'must not be less than 1' });
      expect(res.errors![0].extensions.fields).toContainEqual({ field: 'username', message: 'must not contain line breaks' });
      expect((await app.admin(QUERY)).smtpSettings).toEqual(before);
    });

    it('rejects a sender with a header injection and an unknown security mode', async () => {
      const res = await app.gql(UPDATE, { input: { sender: 'a@example.com\r\nBcc: x@evil.com' } }, app.token(Role.ADMIN));
      expect(res.errors?.[0].extensions.fields).toEqual([{ field: 'sender', message: expect.any(String) }]);
      const bad = await app.gql(UPDATE, { input: { security: 'SSLv3' } }, app.token(Role.ADMIN));
      expect(bad.errors?.[0].message).toMatch(/security/);
    });

    it('needs a username while authentication is on', async () => {
      const res = await app.gql(UPDATE, { input: { username: null, authEnabled: true } }, app.token(Role.ADMIN));
      expect(res.errors?.[0].extensions.fields).toEqual([{ field: 'username', message: 'is required when authMethod is PASSWORD (the mailbox to send as)' }]);
    });

    it('answers UNAUTHENTICATED without a valid token and FORBIDDEN to anyone but an ADMIN', async () => {
      for (const op of [QUERY, UPDATE]) {
        const vars = { input: { port: 25 } };
        expect((await app.gql(op, vars)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
        expect((await app.gql(op, vars, 'not.a.token')).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
        expect((await app.gql(op, vars, app.token(Role.USER))).errors?.[0].extensions.code).toBe('FORBIDDEN');
        expect((await app.gql(op, vars, app.token(Role.SERVICE))).errors?.[0].extensions.code).toBe('FORBIDDEN');
      }
      expect((await app.admin(QUERY)).smtpSettings.port).not.toBe(25);
    });

    it('has no field that could return the password', async () => {
      const res = await app.gql('{ smtpSettings { password } }', {}, app.token(Role.ADMIN));
      expect(res.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });
});

describe(`the secret key (${DATABASE_KIND})`, () => {
  it('gives a clear error, not garbage, when the password was stored with another key', async () => {
    const first = await HeraldTestApp.start({
      SMTP_HOST: '127.0.0.1', SMTP_SENDER: 'h@example.com', SMTP_USERNAME: 'u', SMTP_PASSWORD: 'stored-with-key-a',
    });
    await first.close({ keepData: true });
    const second = await HeraldTestApp.start({ HERALD_SECRET_KEY: 'b'.repeat(64) }, first.storage);
    try {
      expect((await second.admin(QUERY)).smtpSettings.passwordSet).toBe(true);
      const { verifySmtpSettings } = await second.admin('mutation { verifySmtpSettings { ok failedStep steps { step message } } }');
      expect(verifySmtpSettings).toMatchObject({ ok: false, failedStep: 'AUTH' });
      expect(verifySmtpSettings.steps[0].message).toMatch(/cannot be decrypted: it was encrypted with a different key/);
      expect(JSON.stringify(verifySmtpSettings)).not.toContain('stored-with-key-a');
    } finally {
      await second.close();
    }
  });
});
