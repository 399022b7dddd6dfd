import { isEmailAddress, isMailbox } from './address-rules';

describe('address rules: one address means one address', () => {
  const spoofs = [
    'a@x.test victim@y.test', // addressparser reads "victim@y.test" <a@x.test>
    'a@x.test <victim@y.test>',
    '"victim@y.test" <a@x.test>',
    'x <a@x.test> <b@y.test>',
    'a@x.test, b@y.test',
    'a@x.test; b@y.test',
    'Team: a@x.test, b@y.test;',
    'a@x.test (victim@y.test)',
    'a@x.test\r\nBcc: b@y.test',
    'a@x.test\u0000',
    'a\u0000@x.test',
    'not an address',
    '',
  ];

  it('a mailbox is an address, or a display name and an address in angle brackets', () => {
    for (const ok of ['h@example.com', 'Herald <h@example.com>', '"Console, AIP" <c@example.com>', 'h@localhost', '<h@example.com>']) {
      expect([ok, isMailbox(ok)]).toEqual([ok, true]);
    }
    for (const bad of spoofs) expect([bad, isMailbox(bad)]).toEqual([bad, false]);
  });

  it('an email address is a bare address only', () => {
    for (const ok of ['h@example.com', 'first.last+tag@sub.example.com', 'h@localhost']) expect([ok, isEmailAddress(ok)]).toEqual([ok, true]);
    for (const bad of [...spoofs, 'Herald <h@example.com>', ' h@example.com']) expect([bad, isEmailAddress(bad)]).toEqual([bad, false]);
  });
});
