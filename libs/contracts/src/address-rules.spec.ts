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
    'victim%y.test@x.test', // a percent route: relays that honour it deliver to victim@y.test
    'a%b@x.test',
    'a\u202e@x.test', // bidirectional controls reorder what a reader sees
    'a@x\u202e.test',
    'a\u2066@x.test',
    'a\u200f@x.test', // RLM: no place in an address
    'a\u0085@x.test', // a C1 control
  ];

  it('a mailbox is an address, or a display name and an address in angle brackets', () => {
    for (const ok of ['h@example.com', 'Herald <h@example.com>', '"Console, AIP" <c@example.com>', 'h@localhost', '<h@example.com>']) {
      expect([ok, isMailbox(ok)]).toEqual([ok, true]);
    }
    for (const bad of spoofs) expect([bad, isMailbox(bad)]).toEqual([bad, false]);
    for (const bad of ['Herald\u202e <h@example.com>', '"x\u202egnp.exe" <h@example.com>', 'Herald\u2028 <h@example.com>', 'Herald <victim%y.test@x.test>']) {
      expect([bad, isMailbox(bad)]).toEqual([bad, false]);
    }
    expect(isMailbox('هيرالد <h@example.com>')).toBe(true); // a right-to-left name is a name
  });

  it('an email address is a bare address only', () => {
    for (const ok of ['h@example.com', 'first.last+tag@sub.example.com', 'h@localhost']) expect([ok, isEmailAddress(ok)]).toEqual([ok, true]);
    for (const bad of [...spoofs, 'Herald <h@example.com>', ' h@example.com']) expect([bad, isEmailAddress(bad)]).toEqual([bad, false]);
  });
});
