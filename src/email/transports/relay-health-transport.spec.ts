import type { RelayHealth } from '../../smtp/relay-health/relay-health';
import { SmtpCheckStep, type SmtpFailure } from '../../smtp/smtp-gateway';
import { RelayHealthTransport } from './relay-health-transport';

/** The port's failure the SMTP and Graph transports make of a classification. */
class Classifier extends RelayHealthTransport {
  of(smtp: SmtpFailure) {
    return this.transportFailure(smtp);
  }
}
const classifier = new Classifier({} as RelayHealth);
/** Classifications as src/smtp makes them (smtp-failure.spec.ts tests the making). */
const quotaUsedUp: SmtpFailure = {
  scope: 'relay',
  transient: true,
  step: SmtpCheckStep.SEND,
  reply: '550 5.4.5 Daily user sending limit exceeded',
  responseCode: 550,
  description: 'EMESSAGE: failed: 550 5.4.5 Daily user sending limit exceeded (DATA)',
  command: 'DATA',
  opensCircuit: true,
  retryAfterMs: 3_600_000,
};
const sessionLost: SmtpFailure = { scope: 'relay', transient: true, step: SmtpCheckStep.SEND, reply: null, description: 'ECONNECTION: Connection closed unexpectedly (DATA)', command: 'DATA' };

describe('RelayHealthTransport: the port failure of a classification', () => {
  it("a relay's used-up sending quota is the transport's, opening its circuit, never a session lost while sending (which would count against the message)", () => {
    const failure = classifier.of(quotaUsedUp);
    expect(failure).toMatchObject({ scope: 'transport', transient: true, step: 'SEND', whileSending: false, slowDown: undefined });
    expect(failure).not.toHaveProperty('senderRefused', true);
  });

  it('a session lost while sending is still whileSending', () => {
    expect(classifier.of(sessionLost)).toMatchObject({ scope: 'transport', step: 'SEND', whileSending: true });
  });
});
