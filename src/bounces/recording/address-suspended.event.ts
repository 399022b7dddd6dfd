/** An address was suspended after bounces (or again, after the mail that tried it after the cooldown bounced): announced after the commit. */
export class AddressSuspendedEvent {
  static readonly NAME = 'bounces.address-suspended';

  constructor(
    readonly address: string,
    readonly status: string,
    readonly diagnosticCode: string | null,
    readonly reportingMta: string | null,
    readonly again: boolean,
    readonly at: Date,
  ) {}
}
