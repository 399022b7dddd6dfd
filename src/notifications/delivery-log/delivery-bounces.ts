import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';

/** A delivery as a bounce report finds it. */
export interface ReportedDelivery {
  id: number;
  recipientId: string;
  /** The mail address it was sent to. */
  address: string;
  status: DeliveryStatus;
  sentAt: Date | null;
}

/** What a report said, as the delivery log keeps it. */
export interface DeliveryBounce {
  status: string;
  hard: boolean;
  diagnosticCode: string | null;
  reportingMta: string | null;
  at: Date;
}

/**
 * The delivery log's side of bounces (src/bounces reads the reports): finds the
 * delivery a report is about by the Message-ID Herald gave it, and marks it
 * BOUNCED with what the report said.
 */
@Injectable()
export class DeliveryBounces {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The delivery that carried this Message-ID (`<herald.N.…@…>`, angle brackets included), or null. */
  async byMessageId(messageId: string, manager: EntityManager = this.dataSource.manager): Promise<ReportedDelivery | null> {
    const row = await manager.getRepository(DeliveryEntity).findOne({
      select: { id: true, recipientId: true, address: true, status: true, sentAt: true },
      where: { messageId, channel: 'email' }, // Message-IDs are mails'
      order: { id: 'DESC' },
    });
    return row && { id: row.id, recipientId: row.recipientId, address: row.address, status: row.status, sentAt: row.sentAt };
  }

  /**
   * Marks a SENT delivery BOUNCED, in the caller's transaction. False when it is not
   * SENT: already BOUNCED (the same report read again, or a second one), or never sent.
   */
  async markBounced(manager: EntityManager, id: number, bounce: DeliveryBounce): Promise<boolean> {
    const said = bounce.diagnosticCode ? `: ${bounce.diagnosticCode}` : '';
    const result = await manager.getRepository(DeliveryEntity).update(
      { id, status: DeliveryStatus.SENT },
      {
        status: DeliveryStatus.BOUNCED,
        bounceStatus: bounce.status,
        bounceClass: bounce.hard ? 'HARD' : 'SOFT',
        bounceDiagnostic: bounce.diagnosticCode,
        bounceReportingMta: bounce.reportingMta,
        bouncedAt: bounce.at,
        lastError: `bounced (${bounce.hard ? 'hard' : 'soft'}) ${bounce.status}${said}${bounce.reportingMta ? `, reported by ${bounce.reportingMta}` : ''}`.slice(0, 2000),
      },
    );
    return !!result.affected;
  }

  /** The status of these deliveries, and when each was sent. */
  async statuses(ids: number[]): Promise<Map<number, { status: DeliveryStatus; sentAt: Date | null }>> {
    if (!ids.length) return new Map();
    const rows = await this.dataSource.getRepository(DeliveryEntity).find({ select: { id: true, status: true, sentAt: true }, where: { id: In(ids) } });
    return new Map(rows.map((r) => [r.id, { status: r.status, sentAt: r.sentAt }]));
  }
}
