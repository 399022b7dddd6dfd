import { ResolveField, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { graphMailbox, isConfigured, MailTransportKind, type SmtpSettings } from '../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { RelayRole } from '../../settings/standby-settings/relay-role';
import { StandbySmtpSettingsService } from '../../settings/standby-settings/standby-smtp-settings.service';
import { RelayHealth } from '../relay-health/relay-health';
import { RelayState } from '../relay-health/relay-state-changed.event';
import { RelayStatusModel } from '../relay-health/relay-status.model';
import { RelayRoleStatusModel } from './relay-role-status.model';
import { StandbyRelay } from './standby-relay';

/**
 * relayStatus's two ways out: `primary` and `standby` (null while no standby is
 * set), each with its own state, and `sendingThrough`: which one mail takes now.
 * The top-level fields of relayStatus stay the primary's (and the queue's).
 */
@Resolver(() => RelayStatusModel)
@Roles(Role.ADMIN)
export class RelayRolesResolver {
  constructor(
    private readonly primarySettings: SmtpSettingsService,
    private readonly primaryHealth: RelayHealth,
    private readonly standbySettings: StandbySmtpSettingsService,
    private readonly standbyRelay: StandbyRelay,
  ) {}

  @ResolveField(() => RelayRoleStatusModel, { description: 'The primary (smtpSettings): its transport and state' })
  primary(): Promise<RelayRoleStatusModel> {
    return this.statusOf(RelayRole.PRIMARY);
  }

  @ResolveField(() => RelayRoleStatusModel, { nullable: true, description: 'The standby relay (standbySmtpSettings): its transport and state; null while none is set' })
  async standby(): Promise<RelayRoleStatusModel | null> {
    const status = await this.statusOf(RelayRole.STANDBY);
    return status.state === RelayState.NOT_CONFIGURED ? null : status;
  }

  @ResolveField(() => RelayRole, {
    nullable: true,
    description: 'Which way out mail takes now: PRIMARY, or STANDBY while the primary is DOWN and the standby is not; null while neither can send (not configured, or both DOWN)',
  })
  async sendingThrough(): Promise<RelayRole | null> {
    const [primary, standby] = await Promise.all([this.statusOf(RelayRole.PRIMARY), this.statusOf(RelayRole.STANDBY)]);
    if (primary.state === RelayState.NOT_CONFIGURED) return null;
    if (primary.state !== RelayState.DOWN) return RelayRole.PRIMARY;
    return standby.state === RelayState.NOT_CONFIGURED || standby.state === RelayState.DOWN ? null : RelayRole.STANDBY;
  }

  private async statusOf(role: RelayRole): Promise<RelayRoleStatusModel> {
    const [settings, health] = role === RelayRole.PRIMARY ? [this.primarySettings, this.primaryHealth] : [this.standbySettings, this.standbyRelay.health];
    const [s, status] = await Promise.all([settings.get(), health.status()]);
    const { state, since, lastSuccessAt, lastFailure, pacedUntil } = status;
    return Object.assign(new RelayRoleStatusModel(), { role, transport: s.transport, name: nameOf(s), state, since, lastSuccessAt, lastFailure, pacedUntil });
  }
}

/** Where it sends: host:port, or Graph's mailbox (never a secret). */
function nameOf(settings: SmtpSettings): string | null {
  if (!isConfigured(settings)) return null;
  if (settings.transport === MailTransportKind.MICROSOFT_GRAPH) return `Microsoft Graph ${hostOf(settings.graphEndpoint)} as ${graphMailbox(settings)}`;
  return `${settings.host}:${settings.port}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
