import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretCipher } from '@herald/crypto';
import { Role } from '../src/auth/role.enum';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { TLS_FIXTURES } from './support/smtp-sink';

/** The OAuth2 authentication methods among the SMTP settings: stored, validated, seeded, never shown. */
const FIELDS = `authEnabled authMethod username oauth2TenantId oauth2ClientId oauth2ClientSecretSet oauth2Certificate
  oauth2PrivateKeySet oauth2ServiceAccountKeySet oauth2RefreshTokenSet oauth2TokenUrl oauth2Scope quotaMessagesPerMinute quotaRecipientsPerDay`;
const UPDATE = `mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { ${FIELDS} } }`;
const QUERY = `{ smtpSettings { ${FIELDS} } }`;

const CLIENT_SECRET = 'Xq8~client-secret-value';
const REFRESH_TOKEN = '1//refresh-token-value-42';
const serviceAccount = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SERVICE_ACCOUNT_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'herald@project.iam.gserviceaccount.com',
  private_key: serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

describe(`OAuth2 SMTP settings (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  const admin = () => app.token(Role.ADMIN);
  beforeAll(async () => {
    app = await HeraldTestApp.start();
    await app.gql(UPDATE, { input: { host: 'smtp.office365.com', sender: 'alerts@example.com', username: 'alerts@example.com', password: 'old-password' } }, admin());
  });
  afterAll(() => app.close());

  it('Microsoft 365 client credentials: stored, the secret shown only as set', async () => {
    const { result: res, log } = await capturingOutput(() =>
      app.gql(
        UPDATE,
        { input: { authMethod: 'OAUTH2_CLIENT_CREDENTIALS', oauth2TenantId: 'contoso.onmicrosoft.com', oauth2ClientId: 'app-1', oauth2ClientSecret: CLIENT_SECRET, quotaMessagesPerMinute: 30, quotaRecipientsPerDay: 10000 } },
        admin(),
      ),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.updateSmtpSettings).toMatchObject({
      authEnabled: true,
      authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
      oauth2TenantId: 'contoso.onmicrosoft.com',
      oauth2ClientId: 'app-1',
      oauth2ClientSecretSet: true,
      oauth2TokenUrl: null,
      quotaMessagesPerMinute: 30,
      quotaRecipientsPerDay: 10000,
    });
    expect(JSON.stringify(await app.gql(QUERY, {}, admin()))).not.toContain(CLIENT_SECRET);
    expect(log).not.toContain(CLIENT_SECRET);
  });

  it('a certificate instead of a secret', async () => {
    const res = await app.gql(UPDATE, { input: { oauth2ClientSecret: '', oauth2Certificate: TLS_FIXTURES.cert, oauth2PrivateKey: TLS_FIXTURES.key } }, admin());
    expect(res.errors).toBeUndefined();
    expect(res.data.updateSmtpSettings).toMatchObject({ oauth2ClientSecretSet: false, oauth2PrivateKeySet: true, oauth2Certificate: TLS_FIXTURES.cert });
    expect(JSON.stringify(res)).not.toContain('PRIVATE KEY');
  });

  it('names what a method still needs and changes nothing', async () => {
    const before = (await app.gql(QUERY, {}, admin())).data;
    const refresh = await app.gql(UPDATE, { input: { authMethod: 'OAUTH2_REFRESH_TOKEN' } }, admin());
    expect(refresh.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(refresh.errors?.[0].extensions.fields?.map((f: { field: string }) => f.field)).toEqual(['oauth2TokenUrl', 'oauth2RefreshToken']);
    const google = await app.gql(UPDATE, { input: { authMethod: 'OAUTH2_SERVICE_ACCOUNT', oauth2ServiceAccountKey: '{"type":"service_account"}' } }, admin());
    expect(google.errors?.[0].extensions.fields).toEqual([
      { field: 'oauth2ServiceAccountKey', message: 'has no client_email' },
      { field: 'oauth2ServiceAccountKey', message: 'is required when authMethod is OAUTH2_SERVICE_ACCOUNT (the service account\'s JSON key)' },
    ]);
    const badKey = await app.gql(UPDATE, { input: { oauth2PrivateKey: 'not a key' } }, admin());
    expect(badKey.errors?.[0].extensions.fields).toEqual([{ field: 'oauth2PrivateKey', message: expect.stringContaining('must be a PEM private key') }]);
    expect(JSON.stringify(badKey)).not.toContain('not a key');
    expect((await app.gql(QUERY, {}, admin())).data).toEqual(before);
  });

  it('Google service account and a refresh token; secrets accepted as ENC(...)', async () => {
    const google = await app.gql(UPDATE, { input: { authMethod: 'OAUTH2_SERVICE_ACCOUNT', oauth2ServiceAccountKey: SERVICE_ACCOUNT_KEY } }, admin());
    expect(google.errors).toBeUndefined();
    expect(google.data.updateSmtpSettings).toMatchObject({ authMethod: 'OAUTH2_SERVICE_ACCOUNT', oauth2ServiceAccountKeySet: true });
    expect(JSON.stringify(google)).not.toContain('PRIVATE KEY');

    const sealed = app.app.get(SecretCipher).encrypt(REFRESH_TOKEN);
    const refresh = await app.gql(UPDATE, { input: { authMethod: 'OAUTH2_REFRESH_TOKEN', oauth2TokenUrl: 'https://idp.example.com/token', oauth2RefreshToken: sealed } }, admin());
    expect(refresh.errors).toBeUndefined();
    expect(refresh.data.updateSmtpSettings).toMatchObject({ authMethod: 'OAUTH2_REFRESH_TOKEN', oauth2RefreshTokenSet: true, oauth2TokenUrl: 'https://idp.example.com/token' });
  });

  it('authEnabled is the old switch: false is NONE, true goes back to the method', async () => {
    const off = await app.gql(UPDATE, { input: { authEnabled: false } }, admin());
    expect(off.data.updateSmtpSettings).toMatchObject({ authEnabled: false, authMethod: 'NONE' });
    const on = await app.gql(UPDATE, { input: { authEnabled: true } }, admin());
    expect(on.data.updateSmtpSettings).toMatchObject({ authEnabled: true, authMethod: 'PASSWORD' });
  });
});

describe(`OAuth2 settings from the first-start seed (${DATABASE_KIND})`, () => {
  it('takes the method, the ids and the key file from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-oauth2-seed-'));
    const keyFile = join(dir, 'service-account.json');
    writeFileSync(keyFile, SERVICE_ACCOUNT_KEY);
    const { result: app, log } = await capturingOutput(() => HeraldTestApp.start({
      LOG_LEVEL: 'verbose',
      SMTP_HOST: 'smtp.gmail.com',
      SMTP_SENDER: 'alerts@example.com',
      SMTP_USERNAME: 'alerts@example.com',
      SMTP_AUTH_METHOD: 'OAUTH2_SERVICE_ACCOUNT',
      SMTP_OAUTH2_SERVICE_ACCOUNT_KEY_FILE: keyFile,
      SMTP_QUOTA_RECIPIENTS_PER_DAY: '2000',
    }));
    try {
      const res = await app.gql(QUERY, {}, app.token(Role.ADMIN));
      expect(res.data.smtpSettings).toMatchObject({ authMethod: 'OAUTH2_SERVICE_ACCOUNT', oauth2ServiceAccountKeySet: true, quotaRecipientsPerDay: 2000 });
      expect(log).toContain('first start: stored');
      expect(log).not.toContain('PRIVATE KEY');
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses spring's XOAUTH2 mechanism without saying which grant, and a method missing its parts", async () => {
    await expect(HeraldTestApp.start({ SMTP_HOST: 'smtp.office365.com', HERALD_SETTINGS_FILE: springFile() })).rejects.toThrow(/XOAUTH2 needs SMTP_AUTH_METHOD/);
    await expect(
      HeraldTestApp.start({ SMTP_HOST: 'smtp.office365.com', SMTP_USERNAME: 'a@example.com', SMTP_AUTH_METHOD: 'OAUTH2_CLIENT_CREDENTIALS', SMTP_OAUTH2_CLIENT_SECRET: CLIENT_SECRET }),
    ).rejects.toThrow(/SMTP_OAUTH2_TENANT_ID is required when authMethod is OAUTH2_CLIENT_CREDENTIALS[^]*SMTP_OAUTH2_CLIENT_ID is required/);
  });
});

function springFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'herald-spring-')), 'settings.yml');
  writeFileSync(file, 'spring:\n  mail:\n    username: a@example.com\n    properties:\n      mail:\n        smtp:\n          auth:\n            mechanisms: XOAUTH2\n');
  return file;
}
