import type { AddressInfo } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { SMTPServer } from 'smtp-server';
import { TokenEndpointError } from '../oauth2/oauth2-token-source';
import type { RelayLogin } from '../relay-login';
import { transcriptOf } from '../session-transcript';
import { SmtpCheckStep } from '../smtp-check-step';
import { classifySmtpFailure } from '../smtp-failure';
import { poolWorkerScript, ThreadedPool } from './threaded-pool';

/** A real SMTP server keeping each message as it arrived; `token`: XOAUTH2 is required, with that access token. */
async function relay(options: { rcptTo?: (address: string) => number | undefined; token?: string } = {}) {
  const received: Array<{ from: string; to: string[]; raw: Buffer }> = [];
  const tokens: string[] = [];
  const server = new SMTPServer({
    authOptional: !options.token,
    authMethods: ['XOAUTH2'],
    allowInsecureAuth: true,
    disabledCommands: options.token ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onAuth: (auth, _session, callback) => {
      tokens.push(auth.accessToken ?? '');
      callback(null, auth.accessToken === options.token ? { user: auth.username } : { data: { status: '401', schemes: 'bearer' } } as never);
    },
    onRcptTo: (address, _session, callback) => {
      const code = options.rcptTo?.(address.address);
      callback(code ? Object.assign(new Error(`refused (${code})`), { responseCode: code }) : undefined);
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, tokens, port: (server.server.address() as AddressInfo).port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const NO_LOGIN: RelayLogin = { auth: undefined, close: () => undefined };
const options = (port: number) => ({ host: '127.0.0.1', port, ignoreTLS: true, pool: true as const, maxConnections: 2, maxRequeues: 2 });

/** An event's mail to `to`: its own header block over the body every recipient shares. */
function mailTo(to: string, body: Buffer) {
  const head = Buffer.from(`From: herald@example.com\r\nTo: ${to}\r\nSubject: Job failed\r\nMessage-ID: <${to}>\r\nContent-Type: text/plain\r\n\r\n`);
  return { envelope: { from: 'herald@example.com', to: [to] }, raw: Buffer.concat([head, body]), body, messageId: `<${to}>` };
}

const workerOf = (pool: ThreadedPool) => (pool as unknown as { worker?: Worker }).worker;

describe('ThreadedPool: the SMTP pool in a worker thread', () => {
  let server: Awaited<ReturnType<typeof relay>>;
  let pool: ThreadedPool | undefined;
  afterEach(async () => {
    pool?.close();
    await server?.stop();
  });

  it('sends the mails given in one turn as one batch, each shared body once, and the relay gets the bytes as given', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    const body = Buffer.from('.a line that starts with a dot\nafter a bare LF\r\n.\r\nünïcödé\r\n'.repeat(5));
    const mails = ['a@example.com', 'b@example.com', 'c@example.com'].map((to) => mailTo(to, body));
    const sent = await Promise.all(mails.map((m) => pool!.send(m)));
    expect(sent).toEqual(mails.map((m) => ({ messageId: m.messageId, response: expect.stringMatching(/^250 /), accepted: m.envelope.to })));
    const byRecipient = new Map(server.received.map((r) => [r.to[0], r.raw.toString('latin1')]));
    for (const m of mails) expect(byRecipient.get(m.envelope.to[0])).toBe(m.raw.toString('latin1').replace(/\r?\n/g, '\r\n'));
  });

  it('keeps the bodies a batch uses: a body used again is the last forgotten, and one the worker lacks fails its send', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    const bodies = Array.from({ length: 64 }, (_, i) => Buffer.from(`body ${i}\r\n`));
    await Promise.all(bodies.map((body, i) => pool!.send(mailTo(`r${i}@example.com`, body))));
    // In one turn: the first body again (for another recipient) and a new one, which makes one too many.
    const again = mailTo('again@example.com', bodies[0]);
    await Promise.all([pool.send(again), pool.send(mailTo('new@example.com', Buffer.from('new\r\n')))]);
    expect(server.received.find((r) => r.to[0] === 'again@example.com')!.raw.toString()).toBe(again.raw.toString());
    // The worker forgets a body the main thread still refers to: its send fails, never a mail of headers alone.
    (pool as unknown as { post(message: unknown): void }).post({ kind: 'send', mails: [], heads: new Uint8Array(0), bodies: [], forget: [0] });
    await expect(pool.send(mailTo('headless@example.com', bodies[0]))).rejects.toThrow(/body/);
    expect(server.received.map((r) => r.to[0])).not.toContain('headless@example.com');
  });

  it('keeps no more than a few MB of bodies in the worker, however few they are', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    for (let i = 0; i < 6; i++) await pool.send(mailTo(`r${i}@example.com`, Buffer.alloc(1 << 20, `${i}`)));
    expect((pool as unknown as { held: Map<number, number> }).held.size).toBeLessThanOrEqual(4);
  });

  it('fails a refused recipient with the error nodemailer gives (its fields: placed at SEND); the next mail goes', async () => {
    server = await relay({ rcptTo: (address) => (address.startsWith('gone') ? 550 : undefined) });
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    const body = Buffer.from('text\r\n');
    const error = await pool.send(mailTo('gone@example.com', body)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 });
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'recipient', transient: false, step: SmtpCheckStep.SEND, responseCode: 550 });
    await expect(pool.send(mailTo('here@example.com', body))).resolves.toMatchObject({ accepted: ['here@example.com'] });
  });

  it('places a relay it cannot reach at CONNECT', async () => {
    server = await relay();
    const port = server.port;
    await server.stop();
    pool = new ThreadedPool({ ...options(port), connectionTimeout: 2000 }, NO_LOGIN);
    const error = await pool.send(mailTo('a@example.com', Buffer.from('x\r\n'))).catch((e: unknown) => e);
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'relay', step: SmtpCheckStep.CONNECT });
    expect(transcriptOf(error)).toBeDefined();
  });

  it("signs in with XOAUTH2 with tokens asked of the main thread's token source; a token endpoint's failure is its own error, at TOKEN", async () => {
    server = await relay({ token: 'good-token' });
    const asked: boolean[] = [];
    let answer: () => Promise<string> = async () => 'good-token';
    const login = {
      auth: { type: 'OAuth2', user: 'herald@example.com' },
      tokens: { provisionCallback: (_user: string, renew: boolean, callback: (e: Error | null, token?: string, expires?: number) => void) => (asked.push(renew), answer().then((t) => callback(null, t, Date.now() + 60_000), (e: Error) => callback(e))) },
      close: () => undefined,
    } as unknown as RelayLogin;
    pool = new ThreadedPool(options(server.port), login);
    await expect(pool.send(mailTo('a@example.com', Buffer.from('x\r\n')))).resolves.toMatchObject({ accepted: ['a@example.com'] });
    expect(server.tokens).toEqual(['good-token']);
    expect(asked).toEqual([false]);
    pool.close();

    const refused = new TokenEndpointError('the token endpoint refused the grant (400 invalid_client)', 400, 'invalid_client');
    answer = () => Promise.reject(refused);
    pool = new ThreadedPool(options(server.port), login);
    const error = await pool.send(mailTo('b@example.com', Buffer.from('x\r\n'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error).toMatchObject({ message: refused.message, status: 400, oauthError: 'invalid_client', code: 'EAUTH', originalCode: 'ETOKEN', command: 'AUTH XOAUTH2' });
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.TOKEN });
    pool.close();

    // Many connections refused their token at once: each send's error is still the token endpoint's.
    pool = new ThreadedPool({ ...options(server.port), maxConnections: 30 }, login);
    const errors = await Promise.all(Array.from({ length: 30 }, (_, i) => pool!.send(mailTo(`c${i}@example.com`, Buffer.from('x\r\n'))).catch((e: unknown) => e)));
    for (const e of errors) expect(classifySmtpFailure(e)).toMatchObject({ scope: 'relay', transient: false, step: SmtpCheckStep.TOKEN });
  });

  it('closes its thread once every mail it was given is answered', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    expect(workerOf(pool)).toBeUndefined(); // started by the first mail
    const sending = pool.send(mailTo('a@example.com', Buffer.from('x\r\n')));
    const exited = new Promise((resolve) => workerOf(pool!)!.once('exit', resolve));
    pool.close();
    await expect(sending).resolves.toMatchObject({ accepted: ['a@example.com'] });
    await exited;
    await expect(pool.send(mailTo('b@example.com', Buffer.from('x\r\n')))).rejects.toThrow('closed');
    expect(pool.stopped).toBe(false);
    pool = undefined;
  });

  it('fails what it was sending when its thread ends unasked, and is stopped (LiveTransport then makes another pool)', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    await pool.send(mailTo('a@example.com', Buffer.from('x\r\n')));
    const sending = pool.send(mailTo('b@example.com', Buffer.from('x\r\n')));
    await workerOf(pool)!.terminate();
    const error = await sending.catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'the SMTP pool thread stopped', code: 'ETHREAD' });
    // That message's failure, to try again, not the relay's (no circuit, no alert; the relay may have taken it).
    expect(classifySmtpFailure(error)).toMatchObject({ scope: 'message', transient: true });
    expect(pool.stopped).toBe(true);
    await expect(pool.send(mailTo('c@example.com', Buffer.from('x\r\n')))).rejects.toThrow('the SMTP pool thread stopped');
  });

  it('takes a message it cannot read from its thread as a crash: fails what it was sending and is stopped', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    await pool.send(mailTo('a@example.com', Buffer.from('x\r\n')));
    const sending = pool.send(mailTo('b@example.com', Buffer.from('x\r\n')));
    workerOf(pool)!.emit('messageerror', new Error('could not deserialize'));
    await expect(sending).rejects.toMatchObject({ code: 'ETHREAD' });
    expect(pool.stopped).toBe(true);
  });

  it('fails the mails of a batch it cannot post to its thread (a value that cannot be cloned), and sends the next', async () => {
    server = await relay();
    pool = new ThreadedPool(options(server.port), NO_LOGIN);
    const mail = mailTo('a@example.com', Buffer.from('x\r\n'));
    await expect(pool.send({ ...mail, envelope: { from: mail.envelope.from, to: [(() => 'a') as never] } })).rejects.toThrow(/clone/);
    await expect(pool.send(mailTo('b@example.com', Buffer.from('x\r\n')))).resolves.toMatchObject({ accepted: ['b@example.com'] });
  });

  it("runs its build's script, and fails clearly when the build lacks it; from the TypeScript sources only when run from them (Jest)", () => {
    expect(() => poolWorkerScript(__dirname, false)).toThrow(/smtp-pool\.worker\.js is missing/);
    expect(poolWorkerScript(__dirname, true)).toMatch(/smtp-pool\.worker\.ts$/);
  });
});
