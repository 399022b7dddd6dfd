import { ResolveField, Resolver } from '@nestjs/graphql';
import { RelayStatusModel } from '../../smtp/smtp-gateway';
import { ReportMailboxHealth } from './report-mailbox-health';
import { ReportMailboxStatusModel } from './report-mailbox-status.model';

/** relayStatus.reportMailbox: whether bounces are being read (the relay's status is the SMTP gateway's). */
@Resolver(() => RelayStatusModel)
export class ReportMailboxStatusResolver {
  constructor(private readonly health: ReportMailboxHealth) {}

  @ResolveField(() => ReportMailboxStatusModel, { description: 'The mailbox bounce reports are read from: reachable, login refused, not configured; the last report set aside' })
  reportMailbox(): Promise<ReportMailboxStatusModel> {
    return this.health.status();
  }
}
