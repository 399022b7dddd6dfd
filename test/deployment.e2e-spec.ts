import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { EnvironmentVariables } from '../src/config/environment.schema';
import { MAIL_DEFAULTS_SEED_VARIABLES } from '../src/settings/mail-defaults/mail-defaults';
import { SEED_VARIABLES } from '../src/settings/seed/settings-seed.source';
import { SMTP_DEFAULTS } from '../src/settings/smtp-settings/smtp-settings';

/**
 * The deployment files, checked as far as this machine can without a container
 * engine (docs/deployment.md says what was not run): .env.example names exactly the
 * variables Herald reads, with their defaults; the compose files parse and use only
 * documented variables; the Dockerfile's health check asks a path Herald serves.
 */
const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/**
 * Every variable of the validated environment, read from the schema itself: class-validator
 * knows each decorated property, and validateEnvironment drops any other (whitelist), so
 * these are exactly the ones Herald reads from it.
 */
const SCHEMA_VARIABLES = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
    .map((m) => m.propertyName),
);
/** The first-start settings (SMTP, mail defaults), read by their seeds rather than the schema. */
const SEED_NAMES = new Set([...Object.keys(SEED_VARIABLES), ...Object.keys(MAIL_DEFAULTS_SEED_VARIABLES)]);
const HERALD_VARIABLES = new Set([...SCHEMA_VARIABLES, ...SEED_NAMES]);

/** `NAME=value` and `#NAME=value` lines (a default shown, not set); `# prose` is a comment. */
function exampleEntries(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of read('.env.example').split('\n')) {
    const match = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    expect(entries.has(match[1])).toBe(false); // each variable once
    entries.set(match[1], match[2]);
  }
  return entries;
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` in a compose file. */
function interpolated(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

/** The compose-only variables, as docs/deployment.md's table lists them (`NAME` in its first column). */
function composeVariablesDocumented(): Set<string> {
  const doc = read('docs/deployment.md');
  const section = doc.slice(doc.indexOf('## Compose variables'), doc.indexOf('\n## ', doc.indexOf('## Compose variables') + 1));
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]));
}

describe('deployment files', () => {
  it('.env.example lists every variable Herald reads (the schema and the seeds), naming any it lacks', () => {
    const entries = exampleEntries();
    expect([...HERALD_VARIABLES].filter((name) => !entries.has(name)).sort()).toEqual([]);
  });

  it('.env.example lists exactly the variables Herald reads', () => {
    const listed = [...exampleEntries().keys()].sort();
    expect(listed).toEqual([...HERALD_VARIABLES].sort());
  });

  it('.env.example shows each default as Herald has it', () => {
    const entries = exampleEntries();
    const defaults = new EnvironmentVariables() as unknown as Record<string, unknown>;
    for (const name of SCHEMA_VARIABLES) {
      if (defaults[name] === undefined) continue; // no default: an example value, or empty
      expect({ name, value: entries.get(name) }).toEqual({ name, value: String(defaults[name]) });
    }
    // The old product's two names are derived from SMTP_SECURITY's default, not stored as such.
    const derived = new Set(['SMTP_STARTTLS_ENABLE', 'SMTP_TRANSPORT_PROTOCOL']);
    for (const [name, field] of Object.entries(SEED_VARIABLES)) {
      const value = (SMTP_DEFAULTS as Record<string, unknown>)[field];
      if (derived.has(name) || value === null || value === undefined) continue;
      expect({ name, value: entries.get(name) }).toEqual({ name, value: String(value) });
    }
  });

  describe.each(['compose.yaml', 'compose.dev.yaml'])('%s', (file) => {
    const text = read(file);
    const compose = parseYaml(text, { merge: true }) as {
      services: Record<string, { image?: string; build?: unknown; environment?: Record<string, unknown> }>;
    };
    const heraldServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

    it('parses, with Herald built from this directory', () => {
      expect(heraldServices.length).toBeGreaterThan(0);
    });

    it("gives Herald only Herald's variables", () => {
      for (const [name, service] of heraldServices) {
        const unknown = Object.keys(service.environment ?? {}).filter((v) => !HERALD_VARIABLES.has(v));
        expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
      }
    });

    it("interpolates only Herald's variables and those docs/deployment.md lists", () => {
      const documented = composeVariablesDocumented();
      const unknown = interpolated(text).filter((v) => !HERALD_VARIABLES.has(v) && !documented.has(v));
      expect(unknown).toEqual([]);
    });
  });

  it('compose.yaml runs two Herald replicas on PostgreSQL and RabbitMQ, with the keys given', () => {
    const compose = parseYaml(read('compose.yaml'), { merge: true });
    const herald = compose.services.herald;
    expect(herald.deploy.replicas).toBe(2);
    expect(herald.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    expect(herald.environment.RABBITMQ_URL).toMatch(/^amqp:\/\/.*@rabbitmq:5672$/);
    expect(Object.keys(herald.environment)).toEqual(expect.arrayContaining(['JWT_SECRET', 'HERALD_SECRET_KEY']));
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'rabbitmq']));
  });

  it('compose.dev.yaml sends the mails to a mail catcher with a web UI', () => {
    const compose = parseYaml(read('compose.dev.yaml'), { merge: true });
    expect(compose.services.mailpit.image).toMatch(/^axllent\/mailpit/);
    expect(compose.services.herald.environment.SMTP_HOST).toBe('mailpit');
  });

  it("the Dockerfile's HEALTHCHECK and compose's ask readiness, /health/ready, which Herald serves, and it runs as a non-root user", () => {
    const dockerfile = read('Dockerfile');
    // The instruction with its continuation lines (ending in a backslash).
    const healthcheck = /^HEALTHCHECK (?:.*\\\n)*.*/m.exec(dockerfile)?.[0] ?? '';
    expect(/\/health[\w/]*/.exec(healthcheck)?.[0]).toBe('/health/ready');
    const compose = parseYaml(read('compose.yaml'), { merge: true });
    expect(compose.services.herald.healthcheck.test.join(' ')).toContain('/health/ready');
    expect(compose.services.migrate.healthcheck).toEqual({ disable: true });
    // The path Herald serves: the health controller's route.
    const controller = read('src/observability/health/health.controller.ts');
    expect(controller).toMatch(/@Controller\('health'\)/);
    expect(controller).toMatch(/@Get\('ready'\)/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // npm's --omit=dev keeps typescript (an optional peer of @nestjs/graphql): the image drops it.
    expect(dockerfile).toMatch(/npm ci --omit=dev[^\n]*&& node tools\/omit-dev-optional\.js/);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-\w]*$/m);
  });
});
