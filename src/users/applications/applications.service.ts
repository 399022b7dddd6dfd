import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '../../graphql/graphql-errors';
import { insertedRows } from '../../database/inserted-rows';
import { Transactions } from '../../database/transactions';
import { type Connection, decodeCursor, DEFAULT_PAGE_SIZE, toConnection } from '../../graphql/pagination';
import type { AuditActor } from '../../settings/audit-log/audit-actor';
import { AuditKind } from '../../settings/audit-log/audit-kind';
import { AuditLog, fieldChange } from '../../settings/audit-log/audit-log.service';
import { ApplicationEntity } from '../entities/application.entity';
import { MembershipEntity, MembershipRole } from '../entities/membership.entity';
import { UserEntity } from '../entities/user.entity';
import { ApplicationModel } from './application.model';
import type { MembershipModel } from './membership.model';
import { UserModel } from '../user.model';
import { likePattern, UsersService } from '../users.service';

/** Managers recorded per statement: 500 rows of users stay far below SQLite's and PostgreSQL's limits on bound values. */
const MANAGERS_PER_STATEMENT = 500;

/** Applications and who may do what with them, kept in sync by the console. */
@Injectable()
export class ApplicationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly transactions: Transactions,
    private readonly audit: AuditLog,
  ) {}

  async create(externalId: string, name: string): Promise<ApplicationModel> {
    const repo = this.dataSource.getRepository(ApplicationEntity);
    if (await repo.existsBy({ externalId })) throw new ConflictError(`Application ${externalId} exists already`);
    return ApplicationModel.from(await this.transactions.exclusive(() => repo.save(repo.create({ externalId, name }))));
  }

  /** Creates the application if Herald does not know it (events may announce it first); idempotent. */
  async ensureApplication(externalId: string, name: string, manager: EntityManager = this.dataSource.manager): Promise<ApplicationEntity> {
    await manager.createQueryBuilder().insert().into(ApplicationEntity).values({ externalId, name }).orIgnore().updateEntity(false).execute();
    return manager.getRepository(ApplicationEntity).findOneByOrFail({ externalId });
  }

  /**
   * Records the people an event names as the application's initial managers
   * (APPLICATION_CREATED, version 2): a person Herald does not know yet is created
   * from the name and email given, and gets MANAGE; people known keep their profile.
   */
  async recordManagers(application: ApplicationEntity, managers: Array<{ id: string; name?: string; email?: string }>, manager: EntityManager): Promise<void> {
    // Named twice, a person is taken as first named. Pages of statements, not statements per person:
    // an event may name 10,000 managers (docs/wire-format.md).
    const byId = new Map<string, { id: string; name?: string; email?: string }>();
    for (const m of managers) if (!byId.has(m.id)) byId.set(m.id, m);
    const people = [...byId.values()];
    for (let start = 0; start < people.length; start += MANAGERS_PER_STATEMENT) {
      const page = people.slice(start, start + MANAGERS_PER_STATEMENT);
      const ids = await this.users.ensureMany(page.map((m) => ({ externalId: m.id, displayName: m.name || null, email: m.email ?? null })), manager);
      const memberships = page.map((m) => ({ applicationId: application.id, userId: ids.get(m.id)!, role: MembershipRole.MANAGE }));
      await manager.createQueryBuilder().insert().into(MembershipEntity).values(memberships).orIgnore().updateEntity(false).execute();
    }
  }

  /** The names of these applications, by the console's id (unknown ids are left out). */
  async namesOf(externalIds: string[]): Promise<Map<string, string>> {
    if (!externalIds.length) return new Map();
    const rows = await this.dataSource.getRepository(ApplicationEntity).find({ select: { externalId: true, name: true }, where: externalIds.map((externalId) => ({ externalId })) });
    return new Map(rows.map((a) => [a.externalId, a.name]));
  }

  async rename(externalId: string, name: string): Promise<ApplicationModel> {
    const repo = this.dataSource.getRepository(ApplicationEntity);
    const app = await this.find(externalId);
    app.name = name;
    return ApplicationModel.from(await this.transactions.exclusive(() => repo.save(app)));
  }

  /** Deletes the application with its memberships and per-application preferences. */
  async delete(externalId: string): Promise<ApplicationModel> {
    const app = await this.find(externalId);
    await this.transactions.exclusive(() => this.dataSource.getRepository(ApplicationEntity).delete(app.id));
    return ApplicationModel.from(app);
  }

  async list(first = DEFAULT_PAGE_SIZE, after?: string, search?: string): Promise<Connection<ApplicationModel>> {
    const query = this.dataSource.getRepository(ApplicationEntity).createQueryBuilder('a');
    if (search) {
      query.where("(LOWER(a.external_id) LIKE :p ESCAPE '\\' OR LOWER(a.name) LIKE :p ESCAPE '\\')", { p: likePattern(search) });
    }
    const totalCount = await query.getCount();
    if (after) query.andWhere('a.external_id > :after', { after: decodeCursor(after, 1)[0] });
    const rows = await query.orderBy('a.external_id', 'ASC').limit(first + 1).getMany();
    return toConnection(rows, first, totalCount, (a) => [a.externalId], ApplicationModel.from);
  }

  /**
   * Grants a role; creates the person if Herald has not seen them yet. Granting
   * twice is harmless. A role the person did not have is an audit entry by `actor`.
   */
  async grant(userExternalId: string, applicationExternalId: string, role: MembershipRole, actor: AuditActor): Promise<MembershipModel> {
    return this.transactions.run(async (manager) => {
      const app = await manager.getRepository(ApplicationEntity).findOneBy({ externalId: applicationExternalId });
      if (!app) throw new NotFoundError('Application', applicationExternalId);
      const user = await this.users.ensureByExternalId(userExternalId, {}, manager);
      const before = await this.rolesOn(manager, app.id, user.id);
      const insert = manager.createQueryBuilder().insert().into(MembershipEntity).values({ applicationId: app.id, userId: user.id, role }).orIgnore().updateEntity(false);
      if (await insertedRows(manager, insert)) await this.recordRoles(manager, actor, userExternalId, app.externalId, before, [...before, role]);
      return { application: ApplicationModel.from(app), user: UserModel.from(user), role };
    });
  }

  /** Revokes a role, with its audit entry by `actor`; NOT_FOUND when the person does not have it. */
  async revoke(userExternalId: string, applicationExternalId: string, role: MembershipRole, actor: AuditActor): Promise<MembershipModel> {
    const app = await this.find(applicationExternalId);
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ externalId: userExternalId });
    const revoked = user
      ? await this.transactions.run(async (manager) => {
          const before = await this.rolesOn(manager, app.id, user.id);
          const result = await manager.getRepository(MembershipEntity).delete({ applicationId: app.id, userId: user.id, role });
          if (!result.affected) return false;
          await this.recordRoles(manager, actor, userExternalId, app.externalId, before, before.filter((r) => r !== role));
          return true;
        })
      : false;
    if (!user || !revoked) throw new NotFoundError('Membership', `${userExternalId} ${role} ${applicationExternalId}`);
    return { application: ApplicationModel.from(app), user: UserModel.from(user), role };
  }

  /** Whether the person (console id) is a MANAGE member of the application (console id). */
  async manages(userExternalId: string, applicationExternalId: string): Promise<boolean> {
    const row = await this.dataSource
      .getRepository(MembershipEntity)
      .createQueryBuilder('m')
      .innerJoin('m.application', 'a')
      .innerJoin('m.user', 'u')
      .where('a.external_id = :app AND u.external_id = :user AND m.role = :role', { app: applicationExternalId, user: userExternalId, role: MembershipRole.MANAGE })
      .getExists();
    return row;
  }

  /** The application by its console id (NOT_FOUND when Herald does not know it). */
  byExternalId(externalId: string): Promise<ApplicationEntity> {
    return this.find(externalId);
  }

  /** The person's roles on the application, in order. */
  private async rolesOn(manager: EntityManager, applicationId: number, userId: number): Promise<MembershipRole[]> {
    const rows = await manager.getRepository(MembershipEntity).find({ select: { role: true }, where: { applicationId, userId } });
    return rows.map((m) => m.role).sort();
  }

  /** A person's roles on one application changed: field memberships[<application>], the roles as a list ("MANAGE, VIEW"), none as null. */
  private recordRoles(manager: EntityManager, actor: AuditActor, userExternalId: string, applicationExternalId: string, before: MembershipRole[], after: MembershipRole[]): Promise<void> {
    const list = (roles: MembershipRole[]) => (roles.length ? [...roles].sort().join(', ') : null);
    const fields = [fieldChange(`memberships[${applicationExternalId}]`, list(before), list(after))];
    return this.audit.record(manager, { kind: AuditKind.USER_ROLE, target: userExternalId, actor, fields });
  }

  /** A person's memberships, applications by id. */
  async membershipsOf(user: UserModel): Promise<MembershipModel[]> {
    const rows = await this.dataSource
      .getRepository(MembershipEntity)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.application', 'a')
      .where('m.user_id = :id', { id: user.rowId })
      .orderBy('a.external_id', 'ASC')
      .addOrderBy('m.role', 'ASC')
      .getMany();
    return rows.map((m) => ({ application: ApplicationModel.from(m.application!), user, role: m.role }));
  }

  private async find(externalId: string): Promise<ApplicationEntity> {
    const app = await this.dataSource.getRepository(ApplicationEntity).findOneBy({ externalId });
    if (!app) throw new NotFoundError('Application', externalId);
    return app;
  }
}
