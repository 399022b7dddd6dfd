import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import Handlebars from 'handlebars';
import { JOB_EVENT_CLASSES, JOB_EVENT_TYPES, type JobEvent, type JobEventType, parseJobEvent } from '@herald/contracts';
import { MailRenderer } from '../notifications/rendering/mail-renderer';
import { type EventTypeDefinition, templateFile } from './event-type';
import { NOTIFICATION_TYPES } from './notification-type';
import { EVENT_TYPES } from './registry';

// A new event type is a folder and one registration (docs/templates.md). This is the
// guard that the folder is complete: each part missing fails here, named.

/** job-failed/ ↔ JOB_FAILED. */
const folderName = (type: string) => type.toLowerCase().replace(/_/g, '-');
const example = (definition: EventTypeDefinition): unknown => JSON.parse(readFileSync(join(definition.folder, `${basename(definition.folder)}.example.json`), 'utf8'));

/** The fields a wire class adds to the common ones (those its own decorators validate). */
function ownWireFields(wire: Function): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(wire, '', true, false);
  return [...new Set(metadata.filter((m) => m.target === wire).map((m) => m.propertyName))].sort();
}

describe('event type registry', () => {
  // Built when first used: with a type unregistered it throws, and the first test says which.
  let renderer: MailRenderer | undefined;

  it('registers every type of the wire format and every derived type, once', () => {
    const registered = EVENT_TYPES.map((d) => d.type);
    expect(NOTIFICATION_TYPES.filter((t) => !registered.includes(t))).toEqual([]);
    expect(registered.filter((t, i) => registered.indexOf(t) !== i)).toEqual([]);
    expect(registered.filter((t) => !NOTIFICATION_TYPES.includes(t))).toEqual([]);
  });

  it('derives only types that are not on the wire, each from one that is', () => {
    for (const definition of EVENT_TYPES) {
      const onTheWire = (JOB_EVENT_TYPES as readonly string[]).includes(definition.type);
      expect({ type: definition.type, derived: !!definition.derivedFrom }).toEqual({ type: definition.type, derived: !onTheWire });
      if (definition.derivedFrom) expect(JOB_EVENT_TYPES).toContain(definition.derivedFrom);
    }
  });

  describe.each(EVENT_TYPES.map((d) => [d.type, d] as const))('%s', (type, definition) => {
    const name = folderName(type);

    it(`lives in its folder, src/event-types/${name}/, defined by ${name}.type.ts`, () => {
      expect(basename(definition.folder)).toBe(name);
      expect(existsSync(join(definition.folder, `${name}.type.ts`))).toBe(true);
    });

    // A derived type's events are published as the type it derives from.
    const wireType = definition.derivedFrom ?? (type as JobEventType);

    it('names the wire class the parser validates it with', () => {
      expect(definition.wire).toBe(JOB_EVENT_CLASSES[wireType]);
    });

    it('has a description (its value in GraphQL), a label and a default', () => {
      expect(typeof definition.description).toBe('string');
      expect(definition.description.trim()).not.toBe('');
      expect(typeof definition.label).toBe('string');
      expect(definition.label.trim()).not.toBe('');
      expect(typeof definition.enabledByDefault).toBe('boolean');
    });

    it("gives publishJobEvent's input every field of its wire class (a derived type: none of its own)", () => {
      expect(Object.keys(definition.input ?? {}).sort()).toEqual(definition.derivedFrom ? [] : ownWireFields(definition.wire));
      // A class, or [class] for a list.
      for (const field of Object.values(definition.input ?? {})) expect(typeof [field.type()].flat()[0]).toBe('function');
    });

    it.each(['html', 'text'] as const)('has a %s template that compiles and uses the layout', (part) => {
      const file = templateFile(definition, part);
      expect(existsSync(file)).toBe(true);
      const source = readFileSync(file, 'utf8');
      expect(source).toMatch(/^\{\{#> layout\}\}/);
      expect(() => Handlebars.precompile(source)).not.toThrow();
    });

    it(`has an example event (${name}.example.json) that the wire format accepts (without what Herald's history adds)`, () => {
      const { history, ...published } = example(definition) as { history?: unknown };
      expect(history === undefined).toBe(!definition.derivedFrom);
      const parsed = parseJobEvent(published);
      expect(parsed).toMatchObject({ ok: true, event: { type: wireType } });
    });

    it('writes a subject and a heading, on one line', () => {
      // Each message's key stands for its text here; i18n/catalogue.spec.ts checks the messages.
      const view = definition.view(example(definition) as JobEvent, (key) => key);
      expect(view.subject).toMatch(/^[^\r\n]*\S[^\r\n]*$/);
      expect(view.heading).toMatch(/^[^\r\n]*\S[^\r\n]*$/);
      if (view.color !== undefined) expect(view.color).toMatch(/^#[0-9a-f]{6}$/i);
    });

    it('renders its example as a mail', () => {
      const mail = (renderer ??= new MailRenderer()).render(example(definition) as JobEvent, { gatewayUri: 'http://console' });
      expect(mail.subject).toMatch(/^\[Billing\] \S/);
      expect(mail.html).toContain('</html>');
      expect(mail.text).toContain('Change your notification preferences');
    });
  });
});
