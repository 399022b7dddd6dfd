const { createTransport } = require('nodemailer');
const MimeNode = require('nodemailer/lib/mime-node').default ?? require('nodemailer/lib/mime-node');
const MailComposer = require('nodemailer/lib/mail-composer').default ?? require('nodemailer/lib/mail-composer');
const { simpleParser } = require('mailparser');
const { SinkClient } = require('/work/main/dist/bench/support/sink-client');
const { MailRenderer } = require('/work/main/dist/src/notifications/rendering/mail-renderer');
const mode = process.argv[2]; const N = Number(process.argv[3] || 8000);
function part(type, content) { const n = new MimeNode(type); n.setContent(content); return n.build(); }
function root(m, parts, to, i) {
  const r = new MimeNode('multipart/alternative');
  r.setHeader({ From: 'Herald <herald@bench.example.com>', To: to, Subject: m.subject, 'Message-ID': `<herald.x.${i}@bench.example.com>`, 'Auto-Submitted': 'auto-generated', 'List-Unsubscribe': '<https://console.example.com/profile/notifications>' });
  r.createChild('text/plain; charset=utf-8').setRaw(parts[0]);
  r.createChild('text/html; charset=utf-8').setRaw(parts[1]);
  return r;
}
(async () => {
  const r = new MailRenderer();
  const e = { schemaVersion: 1, id: 'x', type: 'JOB_FAILED', occurredAt: new Date().toISOString(), application: { id: 'a', name: 'App ä' }, job: { id: 'j', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' }, error: { message: 'Out of memory while building the call graph', step: 'Run analyzer', logExcerpt: 'INFO start\n'.repeat(40) } };
  const m = r.render(e, { gatewayUri: 'https://console.example.com' });
  const parts = await Promise.all([part('text/plain; charset=utf-8', m.text), part('text/html; charset=utf-8', m.html)]);
  if (mode === 'check') {
    const a = await simpleParser(await root(m, parts, { name: 'Jörg Ü', address: 'j@x.example' }, 1).build());
    const b = await simpleParser(await new MailComposer({ from: 'Herald <herald@bench.example.com>', to: { name: 'Jörg Ü', address: 'j@x.example' }, ...m }).compile().build());
    console.log(a.subject === b.subject, a.text === b.text, a.html === b.html, a.to.text, b.to.text, a.subject);
    console.log((await root(m, parts, { name: 'Jörg Ü', address: 'j@x.example' }, 1).build()).toString().slice(0, 900));
    return;
  }
  const sink = await SinkClient.start();
  const transport = createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 1000 });
  const mk = async (i) => {
    const to = `u${i}@bench.example.com`;
    if (mode === 'stream') { const n = root(m, parts, to, i); return { envelope: n.getEnvelope(), raw: n.createReadStream() }; }
    if (mode === 'buffer') { const n = root(m, parts, to, i); return { envelope: n.getEnvelope(), raw: await n.build() }; }
    if (mode === 'html') return { from: 'Herald <herald@bench.example.com>', to, ...m };
  };
  const t0 = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: 20 }, async () => { while (next < N) { const i = next++; await transport.sendMail(await mk(i)); } }));
  const s = (performance.now() - t0) / 1000;
  console.log(mode, 'msg/s', Math.round(N / s), 'cpu ms/msg', ((process.cpuUsage().user + process.cpuUsage().system) / 1000 / N).toFixed(3));
  transport.close(); sink.stop();
})();
