import { registerEnumType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Where a delivery is in its life. */
export enum DeliveryStatus {
  /** Due: waiting for the dispatcher. */
  PENDING = 'PENDING',
  /** Claimed by a dispatcher (lease_owner) until lease_expires_at. */
  SENDING = 'SENDING',
  /** Accepted by the relay (message_id, last_reply). */
  SENT = 'SENT',
  /** A transient failure; tried again at next_attempt_at. */
  RETRY = 'RETRY',
  /** Nothing may be sent now (SMTP not configured, the relay down, sending paced): waits without spending attempts. */
  WAITING = 'WAITING',
  /** Refused for good (5xx) or out of attempts; last_reply says why. */
  FAILED = 'FAILED',
  /**
   * Final, never sent: when it was to go, its person no longer received it (lost the application, switched it off, no address),
   * or it was folded into the person's summary (the day's recipient budget used up); last_error says why.
   */
  CANCELLED = 'CANCELLED',
  /** Accepted by the relay, then reported undeliverable (a DSN or NDR in the sender's mailbox): bounce_* say why. */
  BOUNCED = 'BOUNCED',
}
registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'Where a delivery is in its life',
  valuesMap: {
    PENDING: { description: 'Due: waiting for a dispatcher to send it' },
    SENDING: { description: 'Being sent now' },
    SENT: { description: 'Accepted by the relay; lastReply holds its answer' },
    RETRY: { description: 'A transient failure: tried again at nextAttemptAt' },
    WAITING: { description: 'Nothing may be sent now (SMTP not configured, the relay down, or sending paced): waits without spending attempts; lastError says why' },
    FAILED: { description: 'Refused for good (5xx) or out of attempts; lastReply or lastError says why, retryDelivery sends it again' },
    CANCELLED: {
      description:
        "Final, not sent: when it was to be sent (or its digest or cap summary closed), its person no longer received it — no longer a manager of the application, notifications or the type switched off, no email address; or the relay's recipients a day were used up and its event was folded into the person's summary mail (lastError: folded into the summary mail of <time>). lastError says which. Not a failure; retryDelivery refuses it",
    },
    BOUNCED: { description: "Accepted by the relay, then reported undeliverable by a bounce (DSN or non-delivery report) in the sender's mailbox; bounce says what the report said" },
  },
});

/**
 * One message to one recipient on one channel: the outbox row. What it is about is in
 * delivery_events (one or more events); its type and application are those of
 * its first event, kept here for the delivery log's filters.
 */
@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  @Column({ name: 'recipient_id', type: 'varchar', length: 255 })
  recipientId: string;

  /** The channel it goes through (src/channels: 'email', …). */
  @Column({ type: 'varchar', length: 32 })
  channel: string;

  /** Where it goes on that channel (email: the mail address, as planned). */
  @Column({ type: 'varchar', length: 320 })
  address: string;

  @Column({ name: 'recipient_name', type: 'varchar', length: 255, nullable: true })
  recipientName: string | null;

  @Column({ name: 'recipient_locale', type: 'varchar', length: 35, nullable: true })
  recipientLocale: string | null;

  @Column({ name: 'recipient_time_zone', type: 'varchar', length: 64, nullable: true })
  recipientTimeZone: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  /** Claimed first when a queue forms: 0 for a failed or stopped job, 1 for the rest (outbox/delivery-priority.ts). */
  @Column({ type: 'smallint', default: 1 })
  priority: number;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: Date })
  nextAttemptAt: Date;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_expires_at', type: Date, nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ name: 'last_reply', type: 'text', nullable: true })
  lastReply: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'message_id', type: 'varchar', length: 255, nullable: true })
  messageId: string | null;

  /** What carried it, once sent, as its channel says (email: `primary: 127.0.0.1:25`, `standby: …`). */
  @Column({ name: 'sent_via', type: 'varchar', length: 255, nullable: true })
  sentVia: string | null;

  /**
   * Relay-wide failures (the session lost while sending this one) seen while the relay
   * worked for others: after RELAY_FAILURES_PER_MESSAGE they are this message's own.
   */
  @Column({ name: 'relay_failures', type: 'integer', default: 0 })
  relayFailures: number;

  /** When the last of those failures was. */
  @Column({ name: 'relay_failed_at', type: Date, nullable: true })
  relayFailedAt: Date | null;

  @Column({ name: 'sent_at', type: Date, nullable: true })
  sentAt: Date | null;

  /** What a bounce report said (status BOUNCED): the enhanced status code (5.1.1), hard or soft, the diagnostic, who reported it, when. */
  @Column({ name: 'bounce_status', type: 'varchar', length: 16, nullable: true })
  bounceStatus: string | null;

  @Column({ name: 'bounce_class', type: 'varchar', length: 8, nullable: true })
  bounceClass: string | null;

  @Column({ name: 'bounce_diagnostic', type: 'text', nullable: true })
  bounceDiagnostic: string | null;

  @Column({ name: 'bounce_reporting_mta', type: 'varchar', length: 255, nullable: true })
  bounceReportingMta: string | null;

  @Column({ name: 'bounced_at', type: Date, nullable: true })
  bouncedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
