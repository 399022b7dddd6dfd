const { createTransport } = require('nodemailer');
const MailComposer = require('nodemailer/lib/mail-composer').default ?? require('nodemailer/lib/mail-composer');
const { SinkClient } = require('/work/main/dist/bench/support/sink-client');
const { MailRenderer } = require('/work/main/dist/src/notifications/rendering/mail-renderer');
const mode = process.argv[2]; const N = Number(process.argv[3] || 8000);
(async () => {
  const sink = await SinkClient.start();
  const r = new MailRenderer();
  const e = { schemaVersion: 1, id: 'x', type: 'JOB_FAILED', occurredAt: new Date().toISOString(), application: { id: 'a', name: 'App a' }, job: { id: 'j', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' }, error: { message: 'Out of memory while building the call graph', step: 'Run analyzer', logExcerpt: 'INFO start\n'.repeat(40) } };
  const m = r.render(e, { gatewayUri: 'https://console.example.com' });
  const base = { from: 'Herald <herald@bench.example.com>', ...m, headers: { 'Auto-Submitted': 'auto-generated' } };
  const rawOnce = await new MailComposer({ ...base, to: 'u0@bench.example.com' }).compile().build();
  console.log('message bytes', rawOnce.length);
  const transport = createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 1000 });
  const mk = async (i) => {
    const to = `u${i}@bench.example.com`;
    if (mode === 'html') return { ...base, to };
    if (mode === 'raw') return { envelope: { from: 'herald@bench.example.com', to: [to] }, raw: rawOnce };
    if (mode === 'compose') return { envelope: { from: 'herald@bench.example.com', to: [to] }, raw: await new MailComposer({ ...base, to }).compile().build() };
  };
  const t0 = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: 20 }, async () => { while (next < N) { const i = next++; await transport.sendMail(await mk(i)); } }));
  const s = (performance.now() - t0) / 1000;
  console.log(mode, 'msg/s', Math.round(N / s), 'cpu ms/msg', ((process.cpuUsage().user + process.cpuUsage().system) / 1000 / N).toFixed(3));
  transport.close(); sink.stop();
})();
