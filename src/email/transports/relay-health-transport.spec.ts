import type { RelayHealth } from '../../smtp/relay-health/relay-health';
import { classifySmtpFailure, type SmtpFailure } from '../../smtp/smtp-failure';
import { RelayHealthTransport } from './relay-health-transport';

/** The port's failure the SMTP and Graph transports make of a classification. */
class Classifier extends RelayHealthTransport {
  of(smtp: SmtpFailure) {
    return this.transportFailure(smtp);
  }
}
const classifier = new Classifier({} as RelayHealth);
const refused = (command: string, reply: string) =>
  classifySmtpFailure(Object.assign(new Error(`failed: ${reply}`), { code: command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE', command, response: reply, responseCode: Number(reply.slice(0, 3)) }));

describe('RelayHealthTransport: the port failure of a classification', () => {
  it("a relay's used-up sending quota is the transport's, opening its circuit, never a session lost while sending (which would count against the message)", () => {
    const failure = classifier.of(refused('DATA', '550 5.4.5 Daily user sending limit exceeded'));
    expect(failure).toMatchObject({ scope: 'transport', transient: true, step: 'SEND', whileSending: false, slowDown: undefined });
    expect(failure).not.toHaveProperty('senderRefused', true);
  });

  it('a session lost while sending is still whileSending', () => {
    const lost = classifySmtpFailure(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'DATA' }));
    expect(classifier.of(lost)).toMatchObject({ scope: 'transport', step: 'SEND', whileSending: true });
  });
});
