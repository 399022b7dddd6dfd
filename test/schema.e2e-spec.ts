import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/herald-config';
import { printHeraldSchema } from '../src/graphql/print-schema';

describe('schema.graphql', () => {
  it('is the schema the code generates (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');
    const generated = await printHeraldSchema(loadConfig({ JWT_SECRET: 'x'.repeat(32), HERALD_SECRET_KEY: 'a'.repeat(64) }, '/nonexistent'));
    expect(generated).toBe(committed);
  });
});
