import { dirname, join } from 'node:path';

/** Where GraphiQL's page loads its scripts and style from: Herald itself, never a CDN. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql';

/**
 * The browser builds GraphiQL's page needs, from installed packages: GraphiQL 3's
 * UMD bundle and the React 18 it runs on (the versions @nestjs/apollo's own page
 * loads from unpkg.com). Served by name only: nothing else of node_modules is reachable.
 */
export const GRAPHIQL_ASSETS: Record<string, { file: string; type: string }> = {
  'react.production.min.js': { file: join(packageDir('react'), 'umd', 'react.production.min.js'), type: 'text/javascript' },
  'react-dom.production.min.js': { file: join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.min.js': { file: join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.min.css': { file: join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css' },
};

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}
