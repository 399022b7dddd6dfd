import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const GATEWAY = join('src', 'smtp') + sep;
/**
 * The one file outside the gateway allowed nodemailer: the contracts library checks
 * that an address is one address as nodemailer's own parser reads it, and a library
 * that producers install cannot depend on Herald's gateway.
 */
const ALLOWED = new Set([join('libs', 'contracts', 'src', 'address-rules.ts')]);
/**
 * What the rest of Herald may import from the gateway: the module, the gateway, MIME
 * encoding, the relay's health (the dispatcher asks it; its state-change event is observed),
 * and the standby relay's gateway and health (the email channel's standby transport).
 */
const PUBLIC = new Set(['smtp.module', 'smtp-gateway', 'mime-message', join('relay-health', 'relay-health'), join('relay-health', 'relay-state-changed.event'), join('standby', 'standby-relay')]);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers of import / export … from / require / import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

describe('the SMTP gateway is the only way to the relay', () => {
  const outside = [...sources('src'), ...sources('libs')].filter((f) => !f.startsWith(GATEWAY) && !ALLOWED.has(f));

  it('finds the files it guards', () => {
    expect(outside).toContain(join('src', 'notifications', 'dispatch', 'dispatcher.ts'));
    expect(importsOf(join('src', 'smtp', 'live-transport.ts'))).toEqual(expect.arrayContaining(['nodemailer', '@nestjs-modules/mailer']));
  });

  it('no file outside src/smtp imports nodemailer or @nestjs-modules/mailer', () => {
    const offenders = outside.flatMap((f) =>
      importsOf(f)
        .filter((m) => /^(nodemailer|@nestjs-modules\/mailer)(\/|$)/.test(m))
        .map((m) => `${f} imports ${m}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no file outside src/smtp imports the gateway internals', () => {
    const offenders = outside.flatMap((f) =>
      importsOf(f)
        .filter((m) => m.startsWith('.'))
        .map((m) => relative(ROOT, join(ROOT, f, '..', m)))
        .filter((target) => target.startsWith(GATEWAY) && !PUBLIC.has(target.slice(GATEWAY.length)))
        .map((target) => `${f} imports ${target}`),
    );
    expect(offenders).toEqual([]);
  });
});
