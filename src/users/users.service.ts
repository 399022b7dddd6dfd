import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import { hasRole, type Principal } from '../auth/principal';
import { Role } from '../auth/role.enum';
import { HeraldConfig } from '../config/herald-config';
import { insertedRows } from '../database/inserted-rows';
import { Transactions } from '../database/transactions';
import { eventTypeOf } from '../event-types/registry';
import { BadUserInputError, NotFoundError } from '../graphql/graphql-errors';
import { type Connection, decodeCursor, DEFAULT_PAGE_SIZE, toConnection } from '../graphql/pagination';
import { actorOf } from '../settings/audit-log/audit-actor';
import { AuditKind } from '../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../settings/audit-log/audit-log.service';
import type { ProfileFields } from './profile/profile-fields';
import { ApplicationEntity } from './entities/application.entity';
import { PreferenceEntity } from './entities/preference.entity';
import { UserEntity } from './entities/user.entity';
import { type EffectivePreferenceModel, notReceivingReason, PreferenceSource } from './profile/effective-preference.model';
import { UserModel } from './user.model';
import { NOTIFICATION_TYPES, type NotificationType } from '../event-types/notification-type';
import { FIRST_AND_FIXED_TYPES, frequencyOf, NotificationFrequency } from './frequency/notification-frequency';
import { PreferenceChangedEvent } from './frequency/preference-changed.event';
import { AddressSuspensions, addressKey, emailKeyOf } from './suspensions/address-suspensions';

/** What setNotificationPreference asks for; neither enabled nor frequency forgets the choice. */
export interface PreferenceChoice {
  enabled?: boolean | null;
  frequency?: NotificationFrequency | null;
  digestHour?: number | null;
}

/** Escapes LIKE wildcards so a search for "50%" means what it says. */
export function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * People and their notification preferences. A person is created the first time
 * they call Herald (from their token's claims), or when the console grants them a
 * membership; after that their profile is theirs — later tokens do not overwrite it.
 */
@Injectable()
export class UsersService {
  /** Subjects known to exist, and whether their last token here was an ADMIN's: a request by a known person costs no query. */
  private readonly known = new Map<string, boolean>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: HeraldConfig,
    private readonly transactions: Transactions,
    private readonly events: EventEmitter2,
    private readonly audit: AuditLog,
    private readonly suspensions: AddressSuspensions,
  ) {}

  /**
   * The person behind a token, created from its claims on first sight. Whether they
   * are an admin follows their latest token (the admins' alerts go to admins); a
   * person met as an ADMIN, or whose token gains or loses the role, is an audit
   * entry (USER_ROLE, field `role`), by them: roles are granted where tokens are made.
   */
  async ensureUser(principal: Principal): Promise<void> {
    const admin = hasRole(principal, Role.ADMIN);
    if (this.known.get(principal.sub) === admin) return;
    const roleName = (isAdmin: boolean) => (isAdmin ? Role.ADMIN : Role.USER);
    await this.transactions.run(async (manager) => {
      const created = await this.insertUser(manager, principal.sub, { displayName: principal.name ?? null, email: principal.email ?? null }, admin);
      const changed = created ? admin : !!(await manager.getRepository(UserEntity).update({ externalId: principal.sub, admin: !admin }, { admin })).affected;
      if (!changed) return;
      const role = fieldChange('role', created ? null : roleName(!admin), roleName(admin));
      await this.audit.record(manager, { kind: AuditKind.USER_ROLE, target: principal.sub, actor: actorOf(principal), fields: [role] });
    });
    this.known.set(principal.sub, admin);
  }

  /** The people whose last token had the ADMIN role and who have an email address. */
  async adminsWithEmail(): Promise<Array<{ email: string; displayName: string | null }>> {
    const rows = await this.dataSource.getRepository(UserEntity).find({ where: { admin: true, email: Not(IsNull()) }, order: { id: 'ASC' } });
    return rows.map((u) => ({ email: u.email!, displayName: u.displayName }));
  }

  /** Finds or creates a person by external id; `claims` fill a new row only. */
  async ensureByExternalId(
    externalId: string,
    claims: { displayName?: string | null; email?: string | null } = {},
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserEntity> {
    await this.newUserInsert(manager, externalId, claims, false).execute();
    return manager.getRepository(UserEntity).findOneByOrFail({ externalId });
  }

  /** Creates the person unless they exist; answers whether this call created them. */
  private async insertUser(manager: EntityManager, externalId: string, claims: { displayName?: string | null; email?: string | null }, admin: boolean): Promise<boolean> {
    return (await insertedRows(manager, this.newUserInsert(manager, externalId, claims, admin))) > 0;
  }

  private newUserInsert(manager: EntityManager, externalId: string, claims: { displayName?: string | null; email?: string | null }, admin: boolean) {
    return manager
      .createQueryBuilder()
      .insert()
      .into(UserEntity)
      .values({
        externalId,
        displayName: claims.displayName ?? null,
        email: claims.email ?? null,
        emailKey: emailKeyOf(claims.email),
        notificationsEnabled: this.config.notificationsEnabledByDefault,
        locale: null,
        timeZone: null,
        admin,
      })
      .orIgnore()
      .updateEntity(false);
  }

  /**
   * ensureByExternalId for many people at once (an event's managers): one insert
   * and one select per statement, not two per person. Answers each person's row id
   * by external id; `people` have distinct ids and are few enough for one statement
   * (the caller pages them).
   */
  async ensureMany(people: Array<{ externalId: string; displayName: string | null; email: string | null }>, manager: EntityManager): Promise<Map<string, number>> {
    if (!people.length) return new Map();
    const notificationsEnabled = this.config.notificationsEnabledByDefault;
    await manager
      .createQueryBuilder()
      .insert()
      .into(UserEntity)
      .values(people.map((p) => ({ ...p, emailKey: emailKeyOf(p.email), notificationsEnabled, locale: null, timeZone: null })))
      .orIgnore()
      .updateEntity(false)
      .execute();
    const rows = await manager.getRepository(UserEntity).find({ select: { id: true, externalId: true }, where: { externalId: In(people.map((p) => p.externalId)) } });
    return new Map(rows.map((u) => [u.externalId, u.id]));
  }

  async get(externalId: string): Promise<UserModel> {
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ externalId });
    if (!user) throw new NotFoundError('User', externalId);
    return UserModel.from(user);
  }

  /** Changes the given profile fields (absent keeps, null clears); `actor`: who, when not the person. */
  async updateProfile(externalId: string, input: ProfileFields, actor?: string): Promise<UserModel> {
    const repo = this.dataSource.getRepository(UserEntity);
    const user = await repo.findOneBy({ externalId });
    if (!user) throw new NotFoundError('User', externalId);
    const previousEmail = user.email;
    for (const field of ['email', 'notificationsEnabled', 'locale', 'timeZone', 'displayName'] as const) {
      const value = input[field];
      if (value !== undefined) (user as unknown as Record<string, unknown>)[field] = value === '' ? null : value;
    }
    user.emailKey = emailKeyOf(user.email);
    const saved = UserModel.from(await this.transactions.exclusive(() => repo.save(user)));
    if (user.email !== previousEmail) {
      // A new address ends the suspension of the old one (and of the new one: the person vouches for it).
      const stillUsed = async (email: string) => (await repo.countBy({ emailKey: addressKey(email) })) > 0;
      await this.suspensions.addressChanged(previousEmail, user.email, { id: actor ?? externalId, name: null }, stillUsed);
    }
    return saved;
  }

  async list(first = DEFAULT_PAGE_SIZE, after?: string, search?: string): Promise<Connection<UserModel>> {
    const query = this.dataSource.getRepository(UserEntity).createQueryBuilder('u');
    if (search) {
      query.where(
        new Brackets((q) =>
          q
            .where("LOWER(u.external_id) LIKE :p ESCAPE '\\'")
            .orWhere("LOWER(u.email) LIKE :p ESCAPE '\\'")
            .orWhere("LOWER(u.display_name) LIKE :p ESCAPE '\\'"),
        ),
        { p: likePattern(search) },
      );
    }
    const totalCount = await query.getCount();
    if (after) query.andWhere('u.external_id > :after', { after: decodeCursor(after, 1)[0] });
    const rows = await query.orderBy('u.external_id', 'ASC').limit(first + 1).getMany();
    return toConnection(rows, first, totalCount, (u) => [u.externalId], UserModel.from);
  }

  /**
   * Sets (or, with neither enabled nor frequency, forgets) a choice for one event
   * type, for every application or for one. A frequency says on/off too (NEVER is
   * off); enabled alone means IMMEDIATELY or NEVER.
   */
  async setPreference(userExternalId: string, eventType: NotificationType, applicationExternalId: string | undefined, choice: PreferenceChoice): Promise<UserModel> {
    await this.transactions.run((manager) => this.writePreference(manager, userExternalId, eventType, applicationExternalId, choice));
    return this.get(userExternalId);
  }

  /**
   * setPreference's write, in a transaction of the caller's (Transactions.run): one
   * change among others that must be written together. Those who follow
   * preferences (digests) hear of it once it has committed.
   */
  async writePreference(manager: EntityManager, userExternalId: string, eventType: NotificationType, applicationExternalId: string | undefined, choice: PreferenceChoice): Promise<void> {
    const frequency = choice.frequency ?? (choice.enabled === true ? NotificationFrequency.IMMEDIATELY : choice.enabled === false ? NotificationFrequency.NEVER : null);
    if (choice.frequency && choice.enabled != null && choice.enabled !== (choice.frequency !== NotificationFrequency.NEVER)) {
      throw BadUserInputError.field('enabled', `contradicts frequency ${choice.frequency}; give one of them`);
    }
    if (frequency === NotificationFrequency.FIRST_AND_FIXED && !FIRST_AND_FIXED_TYPES.includes(eventType)) {
      throw BadUserInputError.field('frequency', `FIRST_AND_FIXED is for ${FIRST_AND_FIXED_TYPES.join(', ')} only`);
    }
    if (choice.digestHour != null && frequency !== NotificationFrequency.DIGEST_DAILY) {
      throw BadUserInputError.field('digestHour', 'is for frequency DIGEST_DAILY only');
    }
    const user = await manager.getRepository(UserEntity).findOneBy({ externalId: userExternalId });
    if (!user) throw new NotFoundError('User', userExternalId);
    let applicationId: number | null = null;
    if (applicationExternalId !== undefined) {
      const app = await manager.getRepository(ApplicationEntity).findOneBy({ externalId: applicationExternalId });
      if (!app) throw new NotFoundError('Application', applicationExternalId);
      applicationId = app.id;
    }
    const repo = manager.getRepository(PreferenceEntity);
    const existing = await repo.createQueryBuilder('p')
      .where('p.user_id = :u AND p.event_type = :t', { u: user.id, t: eventType })
      .andWhere(applicationId === null ? 'p.application_id IS NULL' : 'p.application_id = :a', { a: applicationId })
      .getOne();
    if (frequency === null) {
      if (existing) await repo.delete(existing.id);
    } else {
      const row = {
        enabled: frequency !== NotificationFrequency.NEVER,
        // Rows written as on/off keep meaning what they meant: null is IMMEDIATELY.
        frequency: frequency === NotificationFrequency.IMMEDIATELY || frequency === NotificationFrequency.NEVER ? null : frequency,
        digestHour: frequency === NotificationFrequency.DIGEST_DAILY ? (choice.digestHour ?? null) : null,
      };
      if (existing) await repo.update(existing.id, row);
      else await repo.insert({ userId: user.id, eventType, applicationId, ...row });
    }
    this.transactions.afterCommit(manager, () => this.events.emit(PreferenceChangedEvent.NAME, new PreferenceChangedEvent(userExternalId, eventType, applicationExternalId ?? null, frequency)));
  }

  /** Turns all of a person's mails on or off, in a transaction of the caller's (Transactions.run). */
  async writeNotificationsEnabled(manager: EntityManager, externalId: string, enabled: boolean): Promise<void> {
    const { affected } = await manager.getRepository(UserEntity).update({ externalId }, { notificationsEnabled: enabled });
    if (!affected) throw new NotFoundError('User', externalId);
  }

  /** What the person will receive per event type, and why not. */
  async effectivePreferences(user: UserModel): Promise<EffectivePreferenceModel[]> {
    const rows = await this.dataSource
      .getRepository(PreferenceEntity)
      .createQueryBuilder('p')
      .leftJoin(ApplicationEntity, 'a', 'a.id = p.application_id')
      .select(['p.event_type AS "eventType"', 'p.enabled AS "enabled"', 'p.frequency AS "frequency"', 'p.digest_hour AS "digestHour"', 'a.external_id AS "applicationId"'])
      .where('p.user_id = :id', { id: user.rowId })
      .getRawMany<{ eventType: string; enabled: boolean | number; frequency: string | null; digestHour: number | null; applicationId: string | null }>();
    return NOTIFICATION_TYPES.map((eventType) => {
      const mine = rows.filter((r) => r.eventType === eventType);
      const global = mine.find((r) => r.applicationId === null);
      const enabled = global ? !!global.enabled : eventTypeOf(eventType).enabledByDefault;
      const reason = notReceivingReason(user, enabled);
      return {
        eventType,
        label: eventTypeOf(eventType).label,
        enabled,
        frequency: frequencyOf(enabled, global?.frequency ?? null),
        digestHour: global?.digestHour ?? null,
        source: global ? PreferenceSource.USER : PreferenceSource.DEFAULT,
        applicationOverrides: mine
          .filter((r) => r.applicationId !== null)
          .map((r) => ({ applicationId: r.applicationId!, enabled: !!r.enabled, frequency: frequencyOf(!!r.enabled, r.frequency), digestHour: r.digestHour })),
        receives: reason === null,
        reason,
      };
    });
  }
}
