import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { ManualClock } from '../../clock/manual-clock';
import type { Transactions } from '../../database/transactions';
import type { DeliveryBounces } from '../../notifications/delivery-log/delivery-bounces';
import { DeliveryStatus } from '../../notifications/entities/delivery.entity';
import type { AddressSuspensions } from '../../users/suspensions/address-suspensions';
import { readReport } from '../reports/read-report';
import type { BounceReading } from '../reports/report-reading';
import { BounceRecorder, isHeraldMessageId } from './bounce-recorder';

/** Exchange Online's report that bob.former@contoso.com does not exist (5.1.10), about Herald's mail <herald.4b227777d4dd1fc6.2187@contoso.com>. */
async function exchangeUnknownRecipient(): Promise<BounceReading> {
  const raw = readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'bounces', 'exchange-online-unknown-recipient.eml'));
  const reading = await readReport(raw);
  if (reading.kind !== 'BOUNCE') throw new Error(JSON.stringify(reading));
  return reading;
}

describe('BounceRecorder: whose address a report is about', () => {
  const manager = {} as EntityManager;
  let markBounced: jest.Mock;
  let recordBounce: jest.Mock;

  function recorder(deliveryAddress: string): BounceRecorder {
    markBounced = jest.fn(async () => true);
    recordBounce = jest.fn(async () => ({ verdict: 'SUSPENDED', suspension: {} }));
    const transactions = { run: (work: (m: EntityManager) => Promise<unknown>) => work(manager) } as unknown as Transactions;
    const deliveries = {
      byMessageId: async () => ({ id: 2187, recipientId: 'subscriber 4', address: deliveryAddress, status: DeliveryStatus.SENT, sentAt: new Date('2026-11-24T09:30:58Z') }),
      markBounced,
    } as unknown as DeliveryBounces;
    const suspensions = { recordBounce } as unknown as AddressSuspensions;
    return new BounceRecorder(transactions, deliveries, suspensions, new ManualClock(new Date('2026-11-24T09:31:10Z')), new EventEmitter2());
  }

  it("a report naming only another address (a member of the list the mail went to, a forward's target) neither bounces the delivery nor counts against the delivery's address", async () => {
    // The mail went to the team list team@contoso.com; Exchange expanded it and reports that one member, bob.former, is gone.
    const recorded = await recorder('team@contoso.com').record(await exchangeUnknownRecipient());
    expect(recorded).toEqual({ outcome: 'OTHER_RECIPIENT', deliveryId: 2187 });
    expect(markBounced).not.toHaveBeenCalled();
    expect(recordBounce).not.toHaveBeenCalled();
  });

  it("a report naming the delivery's address (in any case) bounces it and counts against it", async () => {
    const recorded = await recorder('Bob.Former@contoso.com').record(await exchangeUnknownRecipient());
    expect(recorded).toMatchObject({ outcome: 'BOUNCED', deliveryId: 2187, address: 'Bob.Former@contoso.com', verdict: 'SUSPENDED' });
    expect(markBounced).toHaveBeenCalledWith(manager, 2187, expect.objectContaining({ status: '5.1.10', hard: true }));
    expect(recordBounce).toHaveBeenCalledWith(manager, 'Bob.Former@contoso.com', expect.objectContaining({ status: '5.1.10', deliveryId: 2187 }));
  });

  it('a report naming the address before forwarding (Original-Recipient) is about the delivery', async () => {
    const reading = await exchangeUnknownRecipient();
    const forwarded: BounceReading = { ...reading, recipients: [{ ...reading.recipients[0], address: 'bob@elsewhere.example', originalAddress: 'bob.former@contoso.com' }] };
    expect(await recorder('bob.former@contoso.com').record(forwarded)).toMatchObject({ outcome: 'BOUNCED', address: 'bob.former@contoso.com' });
  });
});

describe("isHeraldMessageId: the Message-IDs Herald writes, and those of mails sent before this version", () => {
  it.each([
    ['<herald.2187.4b227777d4dd1fc6@contoso.com>', true], // the delivery's id first (this version)
    ['<herald.4b227777d4dd1fc6.2187@contoso.com>', true], // the key's tag first (mails sent before it, which may still bounce)
    ['<herald.2187@contoso.com>', false], // unkeyed: anyone could write it
    ['<herald.2187.4b227777d4dd1fc@contoso.com>', false],
    ['<herald.thread.264eaa22966d2d10b7116ec828819b70@contoso.com>', false], // a thread's root, never a delivery's
    ['<herald.2187.4b227777d4dd1fc6@contoso.com> <x@y>', false],
  ])('%s: %s', (messageId, heralds) => expect(isHeraldMessageId(messageId)).toBe(heralds));
});
