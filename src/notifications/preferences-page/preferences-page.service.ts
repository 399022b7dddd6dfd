import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import type { AudienceSource, SubscriptionView } from '../../audiences/audience-source.port';
import { AudienceSources } from '../../audiences/audience-sources';
import { DeliveryChannels } from '../../channels/delivery-channels';
import { Clock } from '../../clock/clock';
import { isUniqueViolation } from '../../database/database-errors';
import { Transactions } from '../../database/transactions';
import { mailLocale, preferredLocale } from '../../i18n/languages';
import { FALLBACK_TIME_ZONE, isTimeZone } from '../../i18n/time-formats';
import { MailDefaultsService } from '../../settings/mail-defaults/mail-defaults.service';
import { ApplicationsService } from '../../users/applications/applications.service';
import type { EffectivePreferenceModel } from '../../users/profile/effective-preference.model';
import type { UserModel } from '../../users/user.model';
import { UsersService } from '../../users/users.service';
import { FIRST_AND_FIXED_TYPES, NotificationFrequency } from '../../users/frequency/notification-frequency';
import { minutesOf } from '../../users/quiet-hours/quiet-hours';
import type { QuietHoursModel } from '../../users/quiet-hours/quiet-hours.model';
import { QuietHoursService } from '../../users/quiet-hours/quiet-hours.service';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { DeliveryEntity } from '../entities/delivery.entity';
import { PreferenceLinks } from '../preference-links/preference-links';
import type { RefusalReason } from './preferences-page.messages';
import { UsedLinkEntity } from './used-link.entity';
import { NOTIFICATION_TYPES, type NotificationType } from '../../event-types/notification-type';

/** A person's language and time zone, as their profile has them (null: not said). */
type Reading = Pick<UserModel, 'locale' | 'timeZone'>;

/** What spending a single-use id needs of a link: until when it is kept, and whose language a refusal speaks. */
interface Spendable {
  expiresAt: Date;
  person?: Reading;
}

/**
 * A link that does not work, and why (the page says it, with an HTTP 4xx), in the
 * language of the person it was for when Herald knows who that is.
 */
export class LinkRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly person?: Reading,
  ) {
    super(`link refused: ${reason}`);
  }
}

/** Whom a page is written for: a locale Herald has messages for, and an IANA zone. */
export interface PageReader {
  locale: string;
  timeZone: string;
}

/** What a link is about: the person, and the mail's event type and application. */
export interface LinkContext {
  token: string;
  deliveryId: number;
  expiresAt: Date;
  person: UserModel;
  eventType: NotificationType;
  application: { id: string; name: string } | null;
  preferences: EffectivePreferenceModel[];
  /** Their quiet hours in effect (their own, else the installation's default). */
  quietHours: QuietHoursModel;
  /** Names of the applications the person's overrides are about. */
  applicationNames: Map<string, string>;
}

/** What a link is about when its mail went to a subscription (a subscribed list) rather than a person. */
export interface SubscriptionLink {
  token: string;
  deliveryId: number;
  expiresAt: Date;
  recipientId: string;
  subscription: SubscriptionView;
  source: AudienceSource;
  eventType: NotificationType;
  application: { id: string; name: string } | null;
}

/** The quick choices of the page, about the mail the link came from. */
export type StopChoice = 'type-here' | 'type-everywhere' | 'everything';

/**
 * A choice on the form: a frequency (NEVER is "off"), or `on` — the older form's
 * value: on, keeping the frequency if it was on — with a daily digest's hour.
 */
export interface FormChoice {
  frequency: NotificationFrequency | 'on';
  digestHour?: number;
}

/**
 * The full form: the profile switch, each type's global choice, each application
 * choice (null: forget it, as for every application), and quiet hours (absent:
 * not on the form; `reset`: back to the defaults).
 */
export interface AllPreferences {
  notificationsEnabled: boolean;
  types: Partial<Record<NotificationType, FormChoice>>;
  overrides: Array<{ eventType: NotificationType; applicationId: string; choice: FormChoice | null }>;
  quietHours?: { reset: true } | { reset?: false; enabled: boolean; start: string; end: string; weekends: boolean; breakThrough: NotificationType[] };
}

/** Whether a choice asks for something else than what holds now. */
function differs(choice: FormChoice, now: { enabled: boolean; frequency: NotificationFrequency; digestHour: number | null }): boolean {
  if (choice.frequency === 'on') return !now.enabled;
  if (choice.frequency !== now.frequency) return true;
  return choice.frequency === NotificationFrequency.DIGEST_DAILY && (choice.digestHour ?? null) !== now.digestHour;
}

/** What setPreference is given for a choice. */
function preferenceOf(choice: FormChoice): { enabled?: boolean; frequency?: NotificationFrequency; digestHour?: number } {
  if (choice.frequency === 'on') return { enabled: true };
  return { frequency: choice.frequency, ...(choice.frequency === NotificationFrequency.DIGEST_DAILY && choice.digestHour !== undefined && { digestHour: choice.digestHour }) };
}

/** Quiet hours from the form that cannot be: a time not HH:MM, or the end equal to the start. */
export function quietHoursProblem(wanted: AllPreferences['quietHours']): 'quietInvalid' | undefined {
  if (!wanted || wanted.reset) return undefined;
  const [start, end] = [minutesOf(wanted.start), minutesOf(wanted.end)];
  return start === undefined || end === undefined || start === end ? 'quietInvalid' : undefined;
}

/**
 * What the signed links of a mail may do, for the person the mail went to and no
 * one else: show their preferences, change them from a form, and RFC 8058's
 * one-click unsubscribe from the mail's event type for its application.
 *
 * A link works for the address its mail went to (the delivery's address on its channel):
 * once the person's address is another, it is refused ("address-changed").
 *
 * Replay: a link works, for looking, until it expires. What changes something is
 * single-use — each form the page shows has an id of its own, spent when it is
 * submitted, and a mail's one-click unsubscribe works once — recorded in
 * `used_links` until the link expires. A used one answers 409 and changes nothing.
 */
@Injectable()
export class PreferencesPageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly users: UsersService,
    private readonly applications: ApplicationsService,
    private readonly links: PreferenceLinks,
    private readonly defaults: MailDefaultsService,
    private readonly channels: DeliveryChannels,
    private readonly clock: Clock,
    private readonly quietHours: QuietHoursService,
    private readonly audiences: AudienceSources,
  ) {}

  /**
   * The subscription behind a token, when its mail went to one (an audience source
   * with subscriptions: a subscribed list), or null when it went to a person (`open`).
   * Its page shows the subscription, and unsubscribes it (the page's button, one-click).
   */
  async openSubscription(token: unknown): Promise<SubscriptionLink | null> {
    const check = this.links.tokens.verify(token, this.clock.date());
    if (!check.ok) return null; // `open` says why, in the person's language when it can
    const delivery = await this.dataSource.getRepository(DeliveryEntity).findOne({
      select: { id: true, recipientId: true, address: true, eventType: true, applicationId: true },
      where: { id: check.deliveryId },
    });
    const source = delivery && this.audiences.ownerOf(delivery.recipientId);
    if (!delivery || !source?.subscriptionOf) return null;
    const subscription = await source.subscriptionOf(delivery.recipientId);
    if (!subscription) throw new LinkRefused('gone');
    if (subscription.address !== delivery.address) throw new LinkRefused('address-changed', subscription);
    const name = (await this.applications.namesOf([delivery.applicationId])).get(delivery.applicationId);
    return {
      token: token as string,
      deliveryId: delivery.id,
      expiresAt: check.expiresAt,
      recipientId: delivery.recipientId,
      subscription,
      source,
      eventType: delivery.eventType as NotificationType,
      application: name === undefined ? null : { id: delivery.applicationId, name },
    };
  }

  /** Ends a subscription from its mail: RFC 8058's one-click (once per mail), or the page's button (a form used once). */
  async unsubscribeSubscription(link: SubscriptionLink, formId?: unknown): Promise<void> {
    if (formId === undefined) await this.spend(`one-click:${link.deliveryId}`, { expiresAt: link.expiresAt, person: link.subscription });
    else await this.spendForm({ expiresAt: link.expiresAt, person: link.subscription }, formId);
    await link.source.unsubscribe?.(link.recipientId);
  }

  /**
   * The language and zone of a page, as of a mail: the person's (users.locale,
   * users.timeZone), else the admin's defaults, else English and UTC. A page whose
   * person Herald does not know (a link that does not work) takes the browser's
   * Accept-Language first.
   */
  async readerOf(person: Reading | undefined, acceptLanguage?: unknown): Promise<PageReader> {
    const defaults = await this.defaults.get();
    const zone = person?.timeZone ?? defaults.timeZone;
    return {
      locale: mailLocale(person ? person.locale : preferredLocale(acceptLanguage), defaults.language),
      timeZone: zone && isTimeZone(zone) ? zone : FALLBACK_TIME_ZONE,
    };
  }

  /** The person, the mail and the preferences behind a token, or why the link does not work. */
  async open(token: unknown): Promise<LinkContext> {
    const check = this.links.tokens.verify(token, this.clock.date());
    if (!check.ok) throw new LinkRefused(check.reason, check.reason === 'expired' ? await this.recipientOf(check.deliveryId) : undefined);
    const delivery = await this.dataSource.getRepository(DeliveryEntity).findOne({
      select: { id: true, recipientId: true, channel: true, address: true, eventType: true, applicationId: true },
      where: { id: check.deliveryId },
    });
    if (!delivery || !(NOTIFICATION_TYPES as readonly string[]).includes(delivery.eventType)) throw new LinkRefused('gone');
    const person = await this.users.get(delivery.recipientId).catch(() => undefined);
    if (!person) throw new LinkRefused('gone');
    // The link is a key for whoever reads the mailbox it was sent to: once that address is no
    // longer the person's on its channel (any change, case included), the mailbox may be someone else's.
    const address = this.channels.get(delivery.channel)?.addressOf({ externalId: person.id, email: person.email, displayName: person.displayName });
    if (address !== delivery.address) throw new LinkRefused('address-changed', person);
    const [preferences, quietHours] = await Promise.all([this.users.effectivePreferences(person), this.quietHours.forPerson(person.id)]);
    const ids = new Set([delivery.applicationId, ...preferences.flatMap((p) => p.applicationOverrides.map((o) => o.applicationId))]);
    const applicationNames = await this.applications.namesOf([...ids]);
    const name = applicationNames.get(delivery.applicationId);
    return {
      token: token as string,
      deliveryId: delivery.id,
      expiresAt: check.expiresAt,
      person,
      eventType: delivery.eventType as NotificationType,
      application: name === undefined ? null : { id: delivery.applicationId, name },
      preferences,
      quietHours,
      applicationNames,
    };
  }

  /** The person a delivery went to, if both are still there. */
  private async recipientOf(deliveryId: number): Promise<UserModel | undefined> {
    const delivery = await this.dataSource.getRepository(DeliveryEntity).findOne({ select: { id: true, recipientId: true }, where: { id: deliveryId } });
    return delivery ? this.users.get(delivery.recipientId).catch(() => undefined) : undefined;
  }

  /** A new id for a form of the page: spent when the form is submitted. */
  newFormId(): string {
    return randomBytes(16).toString('base64url');
  }

  /** RFC 8058: no more mails of this type about this application, once per mail. */
  async oneClick(token: unknown): Promise<LinkContext> {
    const link = await this.open(token);
    if (!link.application) throw new LinkRefused('gone', link.person);
    await this.spend(`one-click:${link.deliveryId}`, link);
    await this.users.setPreference(link.person.id, link.eventType, link.application.id, { enabled: false });
    return link;
  }

  /** One of the page's quick choices, from a form used once. */
  async stop(link: LinkContext, formId: unknown, choice: StopChoice): Promise<void> {
    if (choice === 'type-here' && !link.application) throw new LinkRefused('gone', link.person);
    await this.spendForm(link, formId);
    if (choice === 'everything') await this.users.updateProfile(link.person.id, { notificationsEnabled: false });
    else await this.users.setPreference(link.person.id, link.eventType, choice === 'type-here' ? link.application!.id : undefined, { enabled: false });
  }

  /**
   * The page's full form, from a form used once: only what differs from now is
   * written. Application choices are those the person has, and the mail's
   * application (a choice of its own for it, or "as for every application").
   */
  async save(link: LinkContext, formId: unknown, wanted: AllPreferences): Promise<void> {
    // A choice the page does not offer (a form made by hand) is refused before anything is written, not halfway.
    const offered = (type: string, choice: FormChoice | null | undefined) => choice?.frequency !== NotificationFrequency.FIRST_AND_FIXED || FIRST_AND_FIXED_TYPES.includes(type);
    if (!Object.entries(wanted.types).every(([type, choice]) => offered(type, choice)) || !wanted.overrides.every((o) => offered(o.eventType, o.choice))) {
      throw new LinkRefused('invalid', link.person);
    }
    try {
      // All or nothing: the form's id is spent and every change written in one transaction, so a
      // failure halfway (the database's) leaves nothing of the save, and the same form may be sent again.
      await this.transactions.run(async (manager) => {
        await this.spendForm(link, formId, manager);
        const person = link.person.id;
        if (wanted.notificationsEnabled !== link.person.notificationsEnabled) await this.users.writeNotificationsEnabled(manager, person, wanted.notificationsEnabled);
        const known = new Set([...link.preferences.flatMap((p) => p.applicationOverrides.map((o) => o.applicationId)), ...(link.application ? [link.application.id] : [])]);
        for (const current of link.preferences) {
          const type = current.eventType as NotificationType;
          const choice = wanted.types[type];
          if (choice && differs(choice, current)) await this.users.writePreference(manager, person, type, undefined, preferenceOf(choice));
          for (const change of wanted.overrides.filter((o) => o.eventType === type && known.has(o.applicationId))) {
            const override = current.applicationOverrides.find((o) => o.applicationId === change.applicationId);
            if (change.choice === null) {
              if (override) await this.users.writePreference(manager, person, type, change.applicationId, { enabled: null });
            } else if (!override || differs(change.choice, override)) await this.users.writePreference(manager, person, type, change.applicationId, preferenceOf(change.choice));
          }
        }
        const quiet = wanted.quietHours;
        if (quiet?.reset) {
          if (link.quietHours.source === 'USER') await this.quietHours.writeMine(manager, person, null);
        } else if (quiet) {
          const now = link.quietHours;
          const same = now.source === 'USER' && now.enabled === quiet.enabled && now.start === quiet.start && now.end === quiet.end && now.weekends === quiet.weekends
            && [...now.breakThrough].sort().join() === [...quiet.breakThrough].sort().join();
          if (!same) await this.quietHours.writeMine(manager, person, { enabled: quiet.enabled, start: quiet.start, end: quiet.end, weekends: quiet.weekends, timeZone: now.source === 'USER' ? now.timeZone : null, breakThrough: quiet.breakThrough });
        }
      });
    } catch (error) {
      // A choice the page does not offer (a form made by hand): refused like a bad form.
      if (error instanceof BadUserInputError) throw new LinkRefused('invalid', link.person);
      throw error;
    }
    await this.forgetExpired();
  }

  /** Spends a form's id: on its own, or within the caller's transaction (`manager`: the save's). */
  private async spendForm(link: Spendable, formId: unknown, manager?: EntityManager): Promise<void> {
    if (typeof formId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(formId)) throw new LinkRefused('invalid', link.person);
    return manager ? this.record(`form:${formId}`, link, manager) : this.spend(`form:${formId}`, link);
  }

  /** Records a single-use id as used; refuses one used before. Forgets the ids of expired links on the way. */
  private async spend(id: string, link: Spendable): Promise<void> {
    await this.transactions.exclusive(() => this.record(id, link, this.dataSource.manager));
    await this.forgetExpired();
  }

  private async record(id: string, link: Spendable, manager: EntityManager): Promise<void> {
    const used = manager.getRepository(UsedLinkEntity);
    // Used before: refused without a failing statement (the database's logger would report a replay as an
    // ERROR). The key stays the guard: two uses at once on PostgreSQL both find nothing, and one insert fails.
    if (await used.exists({ where: { id } })) throw new LinkRefused('used', link.person);
    try {
      await used.insert({ id, expiresAt: link.expiresAt });
    } catch (error) {
      if (isUniqueViolation(error)) throw new LinkRefused('used', link.person);
      throw error;
    }
  }

  private async forgetExpired(): Promise<void> {
    await this.transactions.exclusive(() => this.dataSource.getRepository(UsedLinkEntity).delete({ expiresAt: LessThan(this.clock.date()) }));
  }
}
