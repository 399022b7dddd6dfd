import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import { loadConfig } from '../src/config/herald-config';
import { printHeraldSchema } from '../src/print-schema';

/**
 * Every type, field, argument, input field and enum value that has no description,
 * as `Type`, `Type.field`, `Type.field(argument)` or `Enum.VALUE`. The schema is the
 * front end's documentation (GraphiQL shows it): nothing in it goes unexplained.
 */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (description: string | null | undefined, where: string) => {
    if (!description?.trim()) missing.push(where);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    check(type.description, type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(field.description, `${type.name}.${field.name}`);
        for (const arg of field.args) check(arg.description, `${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(field.description, `${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(value.description, `${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe('schema.graphql', () => {
  let generated: string;
  beforeAll(async () => {
    generated = await printHeraldSchema(loadConfig({ JWT_SECRET: 'x'.repeat(32), HERALD_SECRET_KEY: 'a'.repeat(64) }, '/nonexistent'));
  });

  it('is the schema the code generates (run `npm run schema` after changing the API)', () => {
    const committed = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
    expect(generated).toBe(committed);
  });

  it('describes every type, field, argument, input field and enum value', () => {
    expect(undescribed(buildSchema(generated))).toEqual([]);
  });

  it("says digestHour is the hour in the person's time zone, as Herald applies it, not a UTC hour", () => {
    const schema = buildSchema(generated);
    const described: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) && !isInputObjectType(type)) continue;
      const field = type.getFields().digestHour;
      if (field) described.push(`${type.name}.digestHour: ${field.description}`);
    }
    expect(described.length).toBeGreaterThanOrEqual(3); // EffectivePreference, ApplicationPreference, SetNotificationPreferenceInput
    for (const line of described) {
      expect(line).toMatch(/in the (person's time zone \(their|target's time zone \(its|address's time zone \(its) timeZone, else the admin's default, else UTC\)/); // a target or a subscribed address: its own zone
      expect(line).not.toMatch(/0–23, UTC/);
    }
  });

  it("follows Relay's connection spec: PageInfo has both directions' flags and cursors", () => {
    const pageInfo = buildSchema(generated).getType('PageInfo');
    expect(isObjectType(pageInfo) && Object.keys(pageInfo.getFields()).sort()).toEqual(['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor']);
  });
});
