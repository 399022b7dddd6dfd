import type { SmtpSettings } from '../settings/smtp-settings/smtp-settings';
import type { RelayRole } from '../settings/standby-settings/relay-role';
import type { SmtpCheckResult } from '../smtp/smtp-gateway';

/**
 * The port between the email channel and what carries its mail (the SMTP relay,
 * Microsoft Graph): one implementation per folder under src/email/transports/;
 * MAIL_TRANSPORT is transports/failover-transport.ts: the transport the primary's
 * settings select (transports/selected-transport.ts), or the standby relay's
 * (transports/standby/) while the primary is down. A transport owns its settings, its health
 * (circuit breaker, pacing), its quotas, its sign-in (OAuth2 tokens) and its
 * step-by-step check; the channel composes the mail and decides, from the
 * transport's classification, what becomes of the delivery.
 */

/** A message ready to go: its envelope and its bytes (MIME). */
export interface EncodedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /** The bytes `raw` ends with, when other messages share them (an event's body, the same Buffer for each recipient): a transport may prepare them once. */
  body?: Buffer;
}

/** Where mail goes now, from the live settings. The same object as long as the settings stay. */
export interface MailRoute {
  /** For logs and waiting reasons: `host:port`. Never a secret. */
  readonly name: string;
  /** The From of every mail. */
  readonly sender: string;
  /** The console's base URI, for the mails' links. */
  readonly gatewayUri: string | null;
  /** Messages it carries at once: the SMTP pool's connections, Graph's requests per mailbox (unset: one). */
  readonly connections?: number;
}

/** Why no mail may go now: the transport is down (its circuit open: no `until`), or paced until `until`. */
export interface MailHold {
  reason: string;
  until?: Date;
  /** Paced by the day's budget (recipients a day): what waits would not go before `until`. */
  dayBudget?: boolean;
}

/** What a failed send is about, as the transport classifies it. */
export interface TransportFailure {
  /** This message, this recipient, or the transport as a whole (every message would fail alike). */
  scope: 'message' | 'recipient' | 'transport';
  /** Another attempt of the same message may get past it. */
  transient: boolean;
  /** The transport asks to slow down (transport scope). */
  slowDown?: boolean;
  /**
   * Transport scope, lost while this very message was being sent (after the
   * connection, greeting and sign-in): perhaps the message's doing.
   */
  whileSending?: boolean;
  /**
   * Message scope, transient, at MAIL FROM: the sender was refused for now. The same
   * reply for several messages is the transport's state (the email channel opens its circuit: `opensCircuit`).
   */
  senderRefused?: boolean;
  /** Transport scope: open the circuit at once (the channel saw the same refusal for many messages). */
  opensCircuit?: boolean;
  /** The step of the exchange it failed at, for messages (`AUTH`, `SEND`, …). */
  step: string;
  /** The other side's reply, when it gave one. */
  reply: string | null;
  /** One line, never a secret. */
  description: string;
  /** When the message that met it was sent (epoch ms; set by the channel): a slowdown halves only for mails sent after the last one. */
  sentAt?: number;
}

export interface MailTransport {
  /** Names the transport in logs (`smtp`). */
  readonly name: string;
  /** Whether mail can be sent at all (settings complete). */
  isConfigured(): Promise<boolean>;
  /** Reads the shared health again (at every sweep), probing a transport that is down when due. */
  refresh(): Promise<void>;
  /** Why no mail may go now (down, paced), from what it last read; undefined: it may send. */
  holding(): MailHold | undefined;
  /** The route of the live settings, or undefined while not configured. */
  route(): Promise<MailRoute | undefined>;
  /** Before each message: one message from the transport's quota, or why to wait (every process waits). */
  reserve(route: MailRoute): Promise<MailHold | undefined>;
  /** Sends one message; answers the accepting reply (`250 2.0.0 OK`), or throws what `classify` reads. */
  send(route: MailRoute, mail: EncodedMail): Promise<string | null>;
  classify(error: unknown): TransportFailure;
  /** A message went out on `route`: the transport works. */
  succeeded(route: MailRoute): Promise<void>;
  /** A failure of the transport as a whole: counts towards opening its circuit. */
  failed(failure: TransportFailure): Promise<void>;
  /** The transport asked to slow down: every process slows down (and pauses); until when. */
  throttled(failure: TransportFailure): Promise<MailHold>;
  /** When it (the one that failed so, if given) last worked (a message accepted, a probe passed), as last read; null when never. */
  lastWorkedAt(failure?: TransportFailure): Date | null;
  /** What carried a mail sent on `route`, as the delivery records it (`sentVia`); default: the route's name. */
  sentVia?(route: MailRoute): string;
  /** Mails were put back to wait for its hold: what they wait for may say how many wait now. */
  waitingChanged?(): Promise<void>;
  /**
   * Checks these settings (saved, or changes laid over them) step by step, sending no
   * mail (verifySmtpSettings); `relay`: whose settings they are (a single transport ignores it).
   */
  verify(settings: SmtpSettings, relay?: RelayRole): Promise<SmtpCheckResult>;
  /** Sends the test mail to `to` the way notifications go (`relay`: through the primary, by default, or the standby), step by step (sendTestEmail). */
  sendTest(to: string, relay?: RelayRole): Promise<SmtpCheckResult>;
}

export const MAIL_TRANSPORT = Symbol('MailTransport');
