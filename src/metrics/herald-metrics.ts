import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Where an event came in. */
export type WayIn = 'graphql' | 'http' | 'emitter' | 'broker';
/** How one send attempt ended. */
export type AttemptOutcome = 'sent' | 'retry' | 'failed' | 'waiting';

/** Seconds: from a local relay's few milliseconds to a slow one's timeout. */
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: from an event sent at once to one that waited hours for a relay. */
const ACCEPTED_TO_SENT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

/**
 * Herald's Prometheus metrics (docs/operations.md lists them): counters and
 * histograms the pipeline adds to as things happen, gauges read on scrape. One
 * registry per application (not prom-client's global one), so that two Herald
 * apps in one process (the tests) each count their own.
 */
@Injectable()
export class HeraldMetrics {
  readonly registry = new Registry();

  private readonly eventsReceived = new Counter({
    name: 'herald_events_received_total',
    help: 'Job events accepted (recorded for the first time), by event type and way in (graphql, http, emitter, broker)',
    labelNames: ['type', 'way_in'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Deliveries that reached a final status (SENT, FAILED, or CANCELLED: not sent because their person no longer receives them), by channel (email, teams, slack, webhook, …)',
    labelNames: ['status', 'channel'] as const,
    registers: [this.registry],
  });

  private readonly attempts = new Counter({
    name: 'herald_send_attempts_total',
    help: "Send attempts, by outcome (sent, retry, failed, waiting: put back without spending an attempt) and the class of the relay's reply (2xx, 4xx, 5xx, none), by channel",
    labelNames: ['outcome', 'reply_class', 'channel'] as const,
    registers: [this.registry],
  });

  private readonly sendSeconds = new Histogram({
    name: 'herald_send_duration_seconds',
    help: "How long one send took (email: the relay's SMTP transaction; a target: its HTTP request), successful or not, by channel",
    labelNames: ['channel'] as const,
    buckets: SEND_BUCKETS,
    registers: [this.registry],
  });

  private readonly acceptedToSentSeconds = new Histogram({
    name: 'herald_event_accepted_to_sent_seconds',
    help: "From the event's acceptance to one of its messages sent (email: the relay's 250), by channel",
    labelNames: ['channel'] as const,
    buckets: ACCEPTED_TO_SENT_BUCKETS,
    registers: [this.registry],
  });

  private readonly relayState = new Gauge({
    name: 'herald_relay_state',
    help: "The relay's state as this process last heard of it: 1 for the current state (OK, DEGRADED, DOWN, NOT_CONFIGURED), 0 for the others",
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  private readonly deadLettered = new Counter({
    name: 'herald_broker_dead_lettered_total',
    help: 'Broker messages moved to the dead-letter queue',
    registers: [this.registry],
  });

  private readonly tokenRequests = new Counter({
    name: 'herald_oauth2_token_requests_total',
    help: 'OAuth2 access token requests (first tokens and refreshes), by result (ok, error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly capFoldedEvents = new Counter({
    name: 'herald_cap_folded_events_total',
    help: "Mails the mail cap held back (MAIL_CAP_COUNT per person per MAIL_CAP_WINDOW_MS): their events went into the window's summary mail instead",
    registers: [this.registry],
  });

  private readonly capSummaries = new Counter({
    name: 'herald_cap_summaries_total',
    help: 'Summary mails written at the end of a cap window, one per person and window that had mails folded',
    registers: [this.registry],
  });

  private readonly templateFallbacks = new Counter({
    name: 'herald_mail_template_fallbacks_total',
    help: "Mails written with Herald's default templates because an admin's template (of this type, or the LAYOUT) failed for their event, by template and language",
    labelNames: ['template', 'language'] as const,
    registers: [this.registry],
  });

  private readonly bounceReports = new Counter({
    name: 'herald_bounce_reports_total',
    help: "Mails read from the report mailbox, by what they were (bounce, notice: a delay or delivered notice, auto_reply, not_a_report: left in the mailbox, unreadable: set aside)",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly bounces = new Counter({
    name: 'herald_bounces_total',
    help: 'Deliveries marked BOUNCED by a report, by class (hard: 5.x.x, soft: 4.x.x)',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });

  private readonly suspensions = new Counter({
    name: 'herald_address_suspensions_total',
    help: 'Addresses suspended after bounces, by cause (unknown_user: at once, repeated: BOUNCE_SUSPEND_AFTER hard bounces in BOUNCE_WINDOW, renewed: the mail after the cooldown bounced too)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  private readonly mailboxPolls = new Counter({
    name: 'herald_report_mailbox_polls_total',
    help: 'Looks into the report mailbox, by result (ok, error: unreachable, login refused, …)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_' });
    for (const counter of [this.deadLettered, this.capFoldedEvents, this.capSummaries]) counter.inc(0); // present from the first scrape
  }

  /**
   * A gauge computed on every scrape (one query): it is read when Prometheus asks,
   * not kept up to date as things happen.
   */
  gaugeOnScrape(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }

  /** The mail cap folded `count` mails into their people's summaries (counted once their planning committed). */
  capFolded(count: number): void {
    this.capFoldedEvents.inc(count);
  }

  /** A cap window's summary mail was written. */
  capSummaryWritten(): void {
    this.capSummaries.inc();
  }

  /** An admin's template failed for a mail: Herald's default wrote it. */
  templateFellBack(template: string, language: string): void {
    this.templateFallbacks.inc({ template, language });
  }

  eventReceived(type: string, wayIn: WayIn): void {
    this.eventsReceived.inc({ type, way_in: wayIn });
  }

  /** One send attempt on `channel` ended; `seconds` is how long the send took (none when no send was made). */
  attempted(channel: string, outcome: AttemptOutcome, reply: string | null, seconds?: number): void {
    const replyClassOf = replyClass(reply);
    const key = `${channel}\n${outcome}\n${replyClassOf}`;
    let counters = this.attemptCounters.get(key);
    if (!counters) {
      const final = outcome === 'sent' ? 'SENT' : outcome === 'failed' ? 'FAILED' : undefined;
      counters = { attempts: this.attempts.labels({ outcome, reply_class: replyClassOf, channel }), final: final && this.deliveries.labels({ status: final, channel }) };
      this.attemptCounters.set(key, counters);
    }
    counters.attempts.inc();
    counters.final?.inc();
    if (seconds !== undefined) this.byChannel(channel).sendSeconds.observe(seconds);
  }

  /**
   * The counters of each kind of attempt, and each channel's histograms, by their labels:
   * their label objects made once, not several per mail, for what is the same few series
   * for every mail (prom-client still checks and hashes them on each call). A handful of
   * each (channels × outcomes × reply classes).
   */
  private readonly attemptCounters = new Map<string, { attempts: Series; final?: Series }>();
  private readonly channelSeries = new Map<string, { sendSeconds: Observed; acceptedToSent: Observed }>();

  private byChannel(channel: string): { sendSeconds: Observed; acceptedToSent: Observed } {
    let series = this.channelSeries.get(channel);
    if (!series) this.channelSeries.set(channel, (series = { sendSeconds: this.sendSeconds.labels({ channel }), acceptedToSent: this.acceptedToSentSeconds.labels({ channel }) }));
    return series;
  }

  /** Deliveries CANCELLED before they were sent (their people no longer receive them): final, not failures; by channel. */
  cancelled(deliveries: ReadonlyArray<{ channel: string }>): void {
    const counts = new Map<string, number>();
    for (const { channel } of deliveries) counts.set(channel, (counts.get(channel) ?? 0) + 1);
    for (const [channel, count] of counts) this.deliveries.inc({ status: 'CANCELLED', channel }, count);
  }

  /** A message on `channel` whose event was accepted `seconds` ago was sent. */
  acceptedToSent(channel: string, seconds: number): void {
    this.byChannel(channel).acceptedToSent.observe(Math.max(0, seconds));
  }

  /** The relay is now in `state`, one of `states` (the others are set to 0). */
  relayStateChanged(state: string, states: readonly string[]): void {
    for (const s of states) this.relayState.set({ state: s }, s === state ? 1 : 0);
  }

  deadLetter(): void {
    this.deadLettered.inc();
  }

  /** A mail of the report mailbox was read (kind: what readReport made of it, lower-cased). */
  bounceReportRead(kind: string): void {
    this.bounceReports.inc({ kind: kind.toLowerCase() });
  }

  /** A delivery was marked BOUNCED. */
  bounced(hard: boolean): void {
    this.bounces.inc({ class: hard ? 'hard' : 'soft' });
  }

  addressSuspended(cause: 'unknown_user' | 'repeated' | 'renewed'): void {
    this.suspensions.inc({ cause });
  }

  reportMailboxPolled(ok: boolean): void {
    this.mailboxPolls.inc({ result: ok ? 'ok' : 'error' });
  }

  tokenRequested(ok: boolean): void {
    this.tokenRequests.inc({ result: ok ? 'ok' : 'error' });
  }
}

/** A counter's series of one set of labels (prom-client's `labels()`). */
type Series = { inc(): void };
/** A histogram's series of one set of labels. */
type Observed = { observe(value: number): void };

/** `250 2.0.0 OK` → 2xx; no reply (a connection refused, a timeout) → none. */
function replyClass(reply: string | null): string {
  const digit = reply ? /^\s*(?:HTTP\s+)?([2-5])\d\d\b/.exec(reply)?.[1] : undefined; // an SMTP reply, or a target's "HTTP 429 …"
  return digit ? `${digit}xx` : 'none';
}
