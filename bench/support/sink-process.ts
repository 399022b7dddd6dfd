/**
 * A CountingSmtpSink in a process of its own, driven over stdin/stdout with one
 * JSON line per command: {"cmd":"count"} → {"count":N}, {"cmd":"reset"},
 * {"cmd":"since","from":i} → {"accepted":[…]} (timestamps are epoch ms),
 * {"cmd":"capture"} (keep the next message whole), {"cmd":"captured"} → {"raw": latin1 text | null}.
 */
import { createInterface } from 'node:readline';
import { CountingSmtpSink } from './counting-smtp-sink';

async function main() {
  const sink = await new CountingSmtpSink().start(Number(process.env.SINK_PORT ?? 0));
  process.stdout.write(`${JSON.stringify({ port: sink.port })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const msg = JSON.parse(line) as { cmd: string; from?: number };
    if (msg.cmd === 'count') process.stdout.write(`${JSON.stringify({ count: sink.accepted.length })}\n`);
    else if (msg.cmd === 'reset') (sink.accepted.length = 0), process.stdout.write('{}\n');
    else if (msg.cmd === 'since') process.stdout.write(`${JSON.stringify({ accepted: sink.accepted.slice(msg.from ?? 0) })}\n`);
    else if (msg.cmd === 'capture') (sink.captureNext = true), (sink.captured = undefined), process.stdout.write('{}\n');
    else if (msg.cmd === 'captured') process.stdout.write(`${JSON.stringify({ raw: sink.captured?.toString('latin1') ?? null })}\n`);
  }
  await sink.stop();
}
void main();
