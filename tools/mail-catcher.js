#!/usr/bin/env node
// A mail catcher for trying Herald on one machine: an SMTP server on 127.0.0.1:1025
// (MAIL_CATCHER_PORT) that accepts every mail, delivers none, and prints each one:
// envelope, subject and text. No TLS, no login: point Herald at it with security NONE
// and authEnabled false. Uses smtp-server and mailparser, Herald's test dependencies.
//
//   ./herald node tools/mail-catcher.js
'use strict';
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const port = Number(process.env.MAIL_CATCHER_PORT ?? 1025);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  onData(stream, session, callback) {
    simpleParser(stream).then(
      (mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
        console.log(`--- mail from ${session.envelope.mailFrom.address} to ${to}`);
        console.log(`Subject: ${mail.subject}\n\n${(mail.text ?? '').trim()}\n`);
        callback();
      },
      (error) => callback(error),
    );
  },
});
server.on('error', (error) => console.error(`mail catcher: ${error.message}`));
server.listen(port, '127.0.0.1', () => console.log(`mail catcher: SMTP on 127.0.0.1:${port}, printing every mail here`));
