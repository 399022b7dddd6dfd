import type { ApolloDriverConfig } from '@nestjs/apollo';
import { type DocumentNode, GraphQLError, Kind } from 'graphql';

type ApolloServerPlugin = NonNullable<ApolloDriverConfig['plugins']>[number];

/** Names quoted in an answer: the operationName is the caller's, and is shown cut short. */
const quote = (name: string) => JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);

/** "A", "A" and "B", "A", "B" and "C" (at most 10, then how many more). */
function list(names: string[]): string {
  const shown = names.slice(0, 10).map(quote);
  if (names.length > 10) shown.push(`${names.length - 10} more`);
  return shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/**
 * Why the request names no operation of its document, in words that say what to
 * send instead: the operationName sent (GraphiQL keeps the last one run, so a
 * query pasted over it goes with a stale name) or its absence, and the document's
 * operations.
 */
export function unresolvedOperationMessage(document: DocumentNode, operationName: string | null | undefined): string {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const named = operations.flatMap((o) => (o.name ? [o.name.value] : []));
  if (operationName == null) return `The document has several operations (${list(named)}): name the one to run in operationName`;
  const unknown = `Unknown operation named ${quote(operationName)}`;
  if (operations.length === 0) return `${unknown}: the document has no operation`;
  if (named.length === 0) return `${unknown}: the document has one operation, without a name (send no operationName to run it)`;
  return `${unknown}: the document has the operation${named.length > 1 ? 's' : ''} ${list(named)}`;
}

/**
 * A request whose operationName matches no operation of its document (or that
 * names none of several) is answered 400 OPERATION_RESOLUTION_FAILURE before any
 * other plugin looks at the operation, as Apollo 5 does itself, with a message
 * that names the operations. Registered first: the cost limit, which runs in the
 * same hook, skips such a request.
 */
export function operationResolutionPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (operation) return;
          throw new GraphQLError(unresolvedOperationMessage(document, request.operationName), {
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
          });
        },
      };
    },
  };
}
