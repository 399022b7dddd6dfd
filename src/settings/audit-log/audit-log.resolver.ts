import { Args, Query, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { ConnectionType } from '../../graphql/pagination';
import { AuditEntryModel } from './audit-entry.model';
import { AuditLogArgs } from './audit-log.args';
import { AuditLog } from './audit-log.service';

export const AuditEntryConnection = ConnectionType(AuditEntryModel, 'AuditEntry');

@Resolver(() => AuditEntryModel)
@Roles(Role.ADMIN)
export class AuditLogResolver {
  constructor(private readonly log: AuditLog) {}

  @Query(() => AuditEntryConnection, {
    description: "Who changed the SMTP settings, the mail defaults, a mail template, the mails' branding or a person's role, and when: newest first. Secrets are only named, never shown",
  })
  auditLog(@Args() { filter, first, after }: AuditLogArgs) {
    return this.log.list(filter, first, after);
  }
}
