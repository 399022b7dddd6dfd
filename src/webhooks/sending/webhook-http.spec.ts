import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClock } from '../../clock/clock';
import type { HeraldConfig } from '../../config/herald-config';
import { AddressRules } from './address-rules';
import { classifyAnswer } from './answer-classification';
import { WebhookHttp } from './webhook-http';

describe('WebhookHttp', () => {
  let server: Server;
  let url: URL;
  let http: WebhookHttp;

  beforeAll(async () => {
    // Answers its status line at once, then never ends the body (a receiver that keeps working, a slow proxy).
    // WEBHOOK_TIMEOUT_MS is 1.5 s: room for the status line on a loaded machine, while the body never ends.
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(req.url === '/slow-down' ? 429 : 200, { 'content-type': 'text/plain', 'retry-after': '30' });
      res.write('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    const config = { webhooks: { allowedHosts: ['*'], allowedRanges: ['127.0.0.0/8'], allowHttp: true, timeoutMs: 1500 } } as unknown as HeraldConfig;
    http = new WebhookHttp(new AddressRules(config), new SystemClock(), config);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('takes a status that came within WEBHOOK_TIMEOUT_MS for the answer, though its body did not end: the message was taken, it is not posted again', async () => {
    const answer = await http.post(url, '{}', {});
    expect(answer).toMatchObject({ answered: true, status: 200, body: 'ok' });
    expect(classifyAnswer(answer, '127.0.0.1', Date.now()).outcome).toBe('sent');
    const slowDown = await http.post(new URL('/slow-down', url), '{}', {});
    expect(slowDown).toMatchObject({ answered: true, status: 429, retryAfter: '30' });
  });
});
