import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GRAPHIQL_ASSETS_PATH } from './graphiql-assets';

/** What the headers editor holds until someone pastes a token over the placeholder. */
export const HEADERS_PLACEHOLDER = JSON.stringify({ Authorization: 'Bearer <paste a token: ./herald token --sub alice --role ADMIN>' }, null, 2);

const DEFAULT_QUERY = `# Paste a token into the Headers tab below (replace the placeholder): the Docs pane
# then shows the schema. Run:
query Me {
  me { id displayName email notificationsEnabled }
}
`;

/**
 * The page GET /graphql answers a browser with: GraphiQL, loaded from Herald
 * (GraphiqlAssetsController) instead of @nestjs/apollo's page, which loads
 * React and GraphiQL from unpkg.com and stays on "Loading..." without internet.
 * The headers editor starts open with an Authorization placeholder; headers are
 * not persisted (a token is a secret: it stays out of the browser's storage). The
 * schema (Docs pane, completion) loads once a valid token is pasted: Herald refuses
 * introspection without one (SchemaVisibility).
 */
export function graphiqlPagePlugin(graphqlPath: string): NonNullable<ApolloDriverConfig['plugins']>[number] {
  const html = page(graphqlPath);
  return {
    async serverWillStart() {
      return { async renderLandingPage() { return { html }; } };
    },
  };
}

function page(graphqlPath: string): string {
  // Relative to the page (…/graphql), so that they reach Herald under the path it may be
  // published at (https://tools.example.com/herald), not the root of the host.
  const asset = (name: string) => `${GRAPHIQL_ASSETS_PATH.slice(1)}/${name}`;
  // JSON.stringify, with < escaped, keeps every value a plain literal inside <script>.
  const literal = (value: string) => JSON.stringify(value).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Herald · GraphiQL</title>
    <style>body { margin: 0; height: 100vh; overflow: hidden; } #graphiql { height: 100vh; }</style>
    <link rel="stylesheet" href="${asset('graphiql.min.css')}" />
    <script src="${asset('react.production.min.js')}"></script>
    <script src="${asset('react-dom.production.min.js')}"></script>
    <script src="${asset('graphiql.min.js')}"></script>
  </head>
  <body>
    <div id="graphiql">Loading...</div>
    <script>
      const url = ${literal(graphqlPath.slice(graphqlPath.lastIndexOf('/') + 1))};
      // Herald tells its schema only to a caller with a valid token: once the Authorization
      // header changes, a new fetcher makes GraphiQL ask for the schema again, with it.
      const authorizationOf = (text) => {
        try {
          const headers = JSON.parse(text);
          const key = Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
          return key === undefined ? null : String(headers[key]);
        } catch {
          return undefined; // not JSON (yet): being typed
        }
      };
      function HeraldGraphiQL() {
        const [fetcher, setFetcher] = React.useState(() => GraphiQL.createFetcher({ url }));
        const authorization = React.useRef(authorizationOf(${literal(HEADERS_PLACEHOLDER)}));
        const onEditHeaders = React.useCallback((text) => {
          const value = authorizationOf(text);
          if (value === undefined || value === authorization.current) return;
          authorization.current = value;
          setFetcher(() => GraphiQL.createFetcher({ url }));
        }, []);
        return React.createElement(GraphiQL, {
          fetcher,
          onEditHeaders,
          defaultQuery: ${literal(DEFAULT_QUERY)},
          defaultHeaders: ${literal(HEADERS_PLACEHOLDER)},
          defaultEditorToolsVisibility: 'headers',
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: false,
        });
      }
      ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(HeraldGraphiQL));
    </script>
  </body>
</html>
`;
}
