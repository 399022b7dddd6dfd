import { createRequire } from 'node:module';
import { createLogger, weakETag } from './bootstrap';
import { HeraldConfig } from './config/herald-config';
import { validateEnvironment } from './config/validate-environment';

/** What one log line looks like with this environment, written to streams that are (or are not) terminals. */
function logLine(env: Record<string, string>, tty: boolean, options: { stderrOnly?: boolean } = {}): string {
  const fullEnv = { DATA_DIR: '/tmp/herald-unit', ...env };
  const config = new HeraldConfig(validateEnvironment(fullEnv), fullEnv);
  const written: string[] = [];
  const restore = [process.stdout, process.stderr].map((stream) => {
    const isTTY = Object.getOwnPropertyDescriptor(stream, 'isTTY');
    Object.defineProperty(stream, 'isTTY', { value: tty, configurable: true });
    const write = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(`${stream === process.stderr ? 'stderr' : 'stdout'}:${String(chunk)}`), true));
    return () => {
      write.mockRestore();
      if (isTTY) Object.defineProperty(stream, 'isTTY', isTTY);
      else delete (stream as { isTTY?: boolean }).isTTY;
    };
  });
  try {
    createLogger(config, options).log('hello', 'Test');
  } finally {
    restore.forEach((r) => r());
  }
  return written.join('');
}

const ESC = '\u001b[';

describe('createLogger: colours where a person reads them, plain text elsewhere', () => {
  it('colours text logs on a terminal only', () => {
    expect(logLine({}, true)).toContain(ESC);
    expect(logLine({}, false)).not.toContain(ESC);
    expect(logLine({}, false)).toMatch(/^stdout:\[Nest\] \d+ {2}- .* LOG \[Test\] hello\n$/);
  });

  it('follows NO_COLOR and FORCE_COLOR (NO_COLOR wins; FORCE_COLOR=0 turns colours off)', () => {
    expect(logLine({ NO_COLOR: '1' }, true)).not.toContain(ESC);
    expect(logLine({ FORCE_COLOR: '1' }, false)).toContain(ESC);
    expect(logLine({ FORCE_COLOR: '0' }, true)).not.toContain(ESC);
    expect(logLine({ FORCE_COLOR: '1', NO_COLOR: 'yes' }, false)).not.toContain(ESC);
  });

  it('never colours JSON logs', () => {
    expect(logLine({ LOG_FORMAT: 'json', FORCE_COLOR: '1' }, true)).not.toContain(ESC);
  });

  it("writes the CLI's logs to stderr", () => {
    expect(logLine({}, false, { stderrOnly: true })).toMatch(/^stderr:\[Nest\].* hello\n$/);
  });
});

describe('weakETag', () => {
  it("writes Express's default ETag", () => {
    const { wetag } = createRequire(__filename)('express/lib/utils') as { wetag: (body: string | Buffer, encoding?: BufferEncoding) => string };
    const bodies: Array<[string | Buffer, BufferEncoding?]> = [
      [''],
      [Buffer.alloc(0)],
      ['{"id":"e1","accepted":true}'],
      ['café ☕ مرحبا', 'utf8'],
      ['caf\u00e9', 'latin1'],
      [Buffer.from('x'.repeat(70000))],
    ];
    for (const [body, encoding] of bodies) expect(weakETag(body, encoding)).toBe(wetag(body, encoding));
  });
});
