import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { AddressSuspensionEntity } from './address-suspension.entity';

@ObjectType('AddressSuspension', {
  description: 'An address that gets no mail because mail to it bounced: its deliveries are CANCELLED until an admin lifts it, the person changes their email, or one mail after the cooldown goes out without a bounce',
})
export class AddressSuspensionModel {
  @Field({ description: 'The address (lower-cased)' }) address: string;
  @Field({ description: 'When it was suspended' }) suspendedAt: Date;
  @Field({ description: 'Why: the status and what the refusing server said, e.g. 5.1.1 unknown user (550 5.1.1 …), reported by mx.example.com' }) reason: string;
  @Field(() => String, { nullable: true, description: 'The enhanced status code of the last bounce, e.g. 5.1.1' }) status: string | null;
  @Field(() => String, { nullable: true, description: "The last bounce's Diagnostic-Code" }) diagnosticCode: string | null;
  @Field(() => String, { nullable: true, description: 'The server that reported the last bounce' }) reportingMta: string | null;
  @Field(() => Date, { nullable: true, description: 'When the last bounce was read' }) lastBounceAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When one mail tries the address again (BOUNCE_COOLDOWN after the suspension); null while that mail is out' }) retryAt: Date | null;
  @Field(() => ID, { nullable: true, description: 'The delivery trying the address again after the cooldown, while it is out; the address is taken back if it goes out without a bounce' }) retryDeliveryId: string | null;

  static from(row: AddressSuspensionEntity): AddressSuspensionModel {
    return Object.assign(new AddressSuspensionModel(), {
      address: row.address,
      suspendedAt: row.suspendedAt,
      reason: row.reason ?? 'bounced',
      status: row.lastStatus,
      diagnosticCode: row.lastDiagnostic,
      reportingMta: row.lastReportingMta,
      lastBounceAt: row.lastBounceAt,
      retryAt: row.retryAt,
      retryDeliveryId: row.retryDeliveryId === null ? null : String(row.retryDeliveryId),
    });
  }
}
