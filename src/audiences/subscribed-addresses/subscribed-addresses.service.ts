import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { JwtSecret } from '../../auth/jwt-secret';
import { hasRole, type Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Transactions } from '../../database/transactions';
import type { NotificationType } from '../../event-types/notification-type';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../../graphql/graphql-errors';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { ApplicationsService } from '../../users/applications/applications.service';
import type { ApplicationEntity } from '../../users/entities/application.entity';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { recipientIdOf } from '../audience-source.port';
import { AddressSubscriptionModel } from './address-subscription.model';
import { ConfirmationMail } from './confirmation-mail';
import { ConfirmationTokens } from './confirmation-tokens';
import type { SubscribeAddressInput } from './subscribe-address.input';
import { SubscribedAddressEntity, SubscribedAddressTypeEntity, SubscriptionStatus } from './subscribed-address.entity';
import { SUBSCRIBER } from './subscribed-addresses.source';

/** Where a subscription's confirmation link leads (under HERALD_PUBLIC_URL). */
export const CONFIRM_PATH = '/subscriptions/confirm';
/** How long a confirmation link works. */
const CONFIRMATION_TTL_MS = 7 * 86_400_000;
/** A pending address gets another confirmation mail (subscribed again) at most this often: nobody can make Herald mail a stranger again and again. */
const CONFIRMATION_RESEND_MS = 10 * 60_000;

/** What a confirmation link is about, for its page. */
export interface ConfirmationLink {
  token: string;
  subscription: SubscribedAddressEntity;
  application: ApplicationEntity;
}

/**
 * Subscribing addresses that are not console people to an application's events:
 * an ADMIN or a MANAGE member of the application. A new address (or one that
 * unsubscribed) first gets a confirmation mail with a signed link and nothing
 * else until the link is followed; an ADMIN may skip that (audit-logged).
 */
@Injectable()
export class SubscribedAddressesService {
  private readonly logger = new Logger('SubscribedAddresses');
  private readonly tokens: ConfirmationTokens;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly applications: ApplicationsService,
    private readonly audit: AuditLog,
    private readonly mail: ConfirmationMail,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    secret: JwtSecret,
  ) {
    this.tokens = new ConfirmationTokens(secret.value);
  }

  async subscribe(input: SubscribeAddressInput, principal: Principal): Promise<AddressSubscriptionModel> {
    const application = await this.mayManage(input.applicationId, principal);
    const admin = hasRole(principal, Role.ADMIN);
    if (input.skipConfirmation && !admin) throw new ForbiddenError('Only an ADMIN may subscribe an address without its confirmation (skipConfirmation)');
    if (input.frequency === NotificationFrequency.NEVER) throw BadUserInputError.field('frequency', 'NEVER subscribes to nothing: use unsubscribeAddress');
    if (!input.skipConfirmation && !this.config.preferences.publicUrl) {
      throw BadUserInputError.field('skipConfirmation', 'HERALD_PUBLIC_URL is not set, so a confirmation link has nowhere to lead: set it, or (an ADMIN) subscribe with skipConfirmation');
    }
    const types = [...new Set(input.types)];
    const key = input.address.toLowerCase();
    const now = this.clock.date();
    const actor = actorOf(principal);
    const { id, confirm, resendAt } = await this.transactions.run(async (manager) => {
      const repo = manager.getRepository(SubscribedAddressEntity);
      const before = await repo.findOneBy({ applicationId: application.id, addressKey: key });
      const wasActive = before?.status === SubscriptionStatus.ACTIVE;
      const status = wasActive || input.skipConfirmation ? SubscriptionStatus.ACTIVE : SubscriptionStatus.PENDING;
      // Still waiting for a confirmation sent moments ago: its link stays the one, and no second mail goes.
      const sentAt = before?.status === SubscriptionStatus.PENDING ? before.confirmationSentAt : null;
      const resendAt = status === SubscriptionStatus.PENDING && sentAt && now.getTime() - sentAt.getTime() < CONFIRMATION_RESEND_MS ? new Date(sentAt.getTime() + CONFIRMATION_RESEND_MS) : null;
      const nonce = status !== SubscriptionStatus.PENDING ? null : resendAt ? before!.confirmationNonce : randomBytes(12).toString('base64url');
      const fields = {
        address: input.address,
        frequency: input.frequency,
        digestHour: input.frequency === NotificationFrequency.DIGEST_DAILY ? (input.digestHour ?? null) : null,
        locale: input.language ?? null,
        timeZone: input.timeZone ?? null,
        status,
        confirmationNonce: nonce,
        confirmedAt: wasActive ? before!.confirmedAt : status === SubscriptionStatus.ACTIVE ? now : null,
        unsubscribedAt: null,
      };
      let id: number;
      if (before) {
        await repo.update(before.id, fields);
        id = before.id;
      } else {
        const inserted = await repo.insert({ ...fields, applicationId: application.id, addressKey: key, createdAt: now, createdBy: actor.id, createdByName: actor.name });
        id = Number(inserted.identifiers[0].id);
      }
      await manager.getRepository(SubscribedAddressTypeEntity).delete({ subscriptionId: id });
      await manager.getRepository(SubscribedAddressTypeEntity).insert(types.map((eventType) => ({ subscriptionId: id, eventType })));
      if (input.skipConfirmation && !wasActive) {
        await this.audit.record(manager, {
          kind: AuditKind.SUBSCRIPTION,
          target: `${application.externalId}/${key}`,
          actor,
          fields: [fieldChange('status', before?.status ?? null, SubscriptionStatus.ACTIVE), fieldChange('confirmation', null, 'skipped by an ADMIN')],
        });
      }
      return { id, confirm: resendAt ? null : nonce, resendAt };
    });
    let confirmationError: string | null = resendAt && `a confirmation mail went to this address less than ${CONFIRMATION_RESEND_MS / 60_000} minutes ago: its link still works; another can be sent from ${resendAt.toISOString()}`;
    if (confirm) {
      const token = this.tokens.sign(id, confirm, new Date(now.getTime() + CONFIRMATION_TTL_MS));
      const sent = await this.mail.send(input.address, `${this.config.preferences.publicUrl}${CONFIRM_PATH}?t=${token}`, application.name, input.language ?? null);
      if (sent.sent) await this.dataSource.getRepository(SubscribedAddressEntity).update(id, { confirmationSentAt: this.clock.date() });
      else {
        confirmationError = sent.error;
        this.logger.warn(`the confirmation mail of subscription ${id} could not be sent: ${sent.error}`);
      }
    }
    const [model] = await this.models([id]);
    return Object.assign(model, { confirmationError });
  }

  async unsubscribe(id: string, principal: Principal): Promise<AddressSubscriptionModel> {
    const row = await this.byId(id);
    await this.mayManage(row.application!.externalId, principal);
    if (row.status !== SubscriptionStatus.UNSUBSCRIBED) {
      await this.dataSource.getRepository(SubscribedAddressEntity).update(row.id, { status: SubscriptionStatus.UNSUBSCRIBED, unsubscribedAt: this.clock.date(), confirmationNonce: null });
    }
    return (await this.models([row.id]))[0];
  }

  async list(applicationId: string, principal: Principal): Promise<AddressSubscriptionModel[]> {
    const application = await this.mayManage(applicationId, principal);
    const rows = await this.dataSource.getRepository(SubscribedAddressEntity).find({ select: { id: true }, where: { applicationId: application.id }, order: { id: 'ASC' } });
    return this.models(rows.map((r) => r.id));
  }

  /** The subscription a confirmation link is for, if the link is still good (else null: the page says it does not work). */
  async openConfirmation(token: unknown): Promise<ConfirmationLink | null> {
    const check = this.tokens.verify(token, this.clock.date());
    if (!check.ok) return null;
    const subscription = await this.dataSource.getRepository(SubscribedAddressEntity).findOne({ where: { id: check.subscriptionId }, relations: { application: true } });
    if (!subscription || subscription.confirmationNonce !== check.nonce || subscription.status !== SubscriptionStatus.PENDING) return null;
    return { token: token as string, subscription, application: subscription.application! };
  }

  /** Follows a confirmation link (the page's POST): the subscription becomes ACTIVE; false when the link no longer works. */
  async confirm(token: unknown): Promise<ConfirmationLink | null> {
    const link = await this.openConfirmation(token);
    if (!link) return null;
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SubscribedAddressEntity)
      .set({ status: SubscriptionStatus.ACTIVE, confirmedAt: this.clock.date(), confirmationNonce: null })
      .where('id = :id AND confirmation_nonce = :nonce AND status = :pending', { id: link.subscription.id, nonce: link.subscription.confirmationNonce, pending: SubscriptionStatus.PENDING })
      .execute();
    return result.affected ? link : null;
  }

  /** The application, if the caller may manage its subscriptions (an ADMIN, or a MANAGE member). */
  private async mayManage(applicationId: string, principal: Principal): Promise<ApplicationEntity> {
    const application = await this.applications.byExternalId(applicationId);
    if (!hasRole(principal, Role.ADMIN) && !(await this.applications.manages(principal.sub, applicationId))) {
      throw new ForbiddenError(`Only an ADMIN or a MANAGE member of ${applicationId} may manage its subscribed addresses`);
    }
    return application;
  }

  private async byId(id: string): Promise<SubscribedAddressEntity> {
    const row = /^\d{1,15}$/.test(id) ? await this.dataSource.getRepository(SubscribedAddressEntity).findOne({ where: { id: Number(id) }, relations: { application: true } }) : null;
    if (!row) throw new NotFoundError('AddressSubscription', id);
    return row;
  }

  private async models(ids: number[]): Promise<AddressSubscriptionModel[]> {
    if (!ids.length) return [];
    const rows = await this.dataSource.getRepository(SubscribedAddressEntity).find({ where: { id: In(ids) }, relations: { application: true }, order: { id: 'ASC' } });
    const types = await this.dataSource.getRepository(SubscribedAddressTypeEntity).find({ where: { subscriptionId: In(ids) }, order: { eventType: 'ASC' } });
    return rows.map((r) =>
      Object.assign(new AddressSubscriptionModel(), {
        id: String(r.id),
        recipientId: recipientIdOf(SUBSCRIBER, r.id),
        applicationId: r.application!.externalId,
        address: r.address,
        types: types.filter((t) => t.subscriptionId === r.id).map((t) => t.eventType as NotificationType),
        frequency: r.frequency as NotificationFrequency,
        digestHour: r.digestHour,
        language: r.locale,
        timeZone: r.timeZone,
        status: r.status as SubscriptionStatus,
        createdAt: r.createdAt,
        createdBy: r.createdBy,
        confirmationSentAt: r.confirmationSentAt,
        confirmedAt: r.confirmedAt,
        unsubscribedAt: r.unsubscribedAt,
        confirmationError: null,
      }),
    );
  }
}
