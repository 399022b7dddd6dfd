import type { ApolloDriverConfig } from '@nestjs/apollo';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { type DocumentNode, getNullableType, GraphQLError, isListType, isObjectType, type GraphQLOutputType, type ValidationContext, type ValidationRule } from 'graphql';
import { type ComplexityEstimator, fieldExtensionsEstimator, getComplexity } from 'graphql-query-complexity';
import type { HeraldConfig } from '../config/herald-config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';

/**
 * Limits on what one GraphQL request may ask, checked before anything executes,
 * so that one request cannot exhaust the heap or the CPU:
 *
 * - tokens: graphql-js's own parser limit (`maxTokens`), so a huge document is not
 *   even turned into a tree → GRAPHQL_PARSE_FAILED;
 * - depth and aliases: GraphQL Armor's validation rules → GRAPHQL_VALIDATION_FAILED;
 * - cost: graphql-query-complexity, with the estimator below that knows list sizes
 *   (a page of `first` items costs `first` times what each item asks for) →
 *   GRAPHQL_VALIDATION_FAILED, once the operation and its variables are known.
 *
 * Every one answers HTTP 400 with a message naming the limit. Batched requests are
 * off (Apollo Server's default), so one request is one operation.
 */
export function queryLimitOptions(limits: HeraldConfig['requestLimits']): Pick<ApolloDriverConfig, 'parseOptions' | 'validationRules' | 'plugins'> {
  return {
    parseOptions: { maxTokens: limits.tokens },
    validationRules: [
      maxDepthRule({ n: limits.depth, flattenFragments: true, ignoreIntrospection: true, ...reportAsValidationError }) as ValidationRule,
      maxAliasesRule({ n: limits.aliases, ...reportAsValidationError }) as ValidationRule,
    ],
    plugins: [costLimitPlugin(limits.cost)],
  };
}

/**
 * Armor throws by default (Apollo would answer 500); reported to the validation
 * context instead, its error is one of the document's validation errors, which
 * Apollo answers with GRAPHQL_VALIDATION_FAILED and HTTP 400.
 */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      // Armor words every limit as a syntax error; the document is well formed, only too big.
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
  ],
};

type ApolloServerPlugin = NonNullable<ApolloDriverConfig['plugins']>[number];

/** What a list that is not a page is taken to hold (a person's memberships, an event's deliveries, …). */
export const ASSUMED_LIST_SIZE = 10;

/** A connection: an object type with `edges` and `pageInfo` (see pagination.ts). */
function isConnection(type: GraphQLOutputType): boolean {
  const named = getNullableType(type);
  return isObjectType(named) && 'edges' in named.getFields() && 'pageInfo' in named.getFields();
}

/**
 * Every field costs 1, plus what is selected under it times the number of items
 * it may return: for a connection, its page size (`first`, at most MAX_PAGE_SIZE,
 * DEFAULT_PAGE_SIZE when absent) — its edges are that page and are not counted
 * again; for another list, ASSUMED_LIST_SIZE. `__typename` is free (clients add it
 * everywhere); introspection is counted without multiplying, as its size is the
 * schema's, not the caller's to choose.
 */
export const listSizeEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.name === '__typename') return 0;
  if (field.name.startsWith('__') || type.name.startsWith('__')) return 1 + childComplexity;
  if (isConnection(field.type)) {
    const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
    return 1 + Math.min(Math.max(first, 0), MAX_PAGE_SIZE) * childComplexity;
  }
  if (isListType(getNullableType(field.type)) && !isConnection(type)) return 1 + ASSUMED_LIST_SIZE * childComplexity;
  return 1 + childComplexity;
};

/**
 * Rejects an operation whose estimated cost is over the limit, after Apollo has
 * parsed and validated it and chosen the operation, before it executes. A field
 * may declare its own cost with `@Field({ complexity })` (fieldExtensionsEstimator).
 */
function costLimitPlugin(maxCost: number): ApolloServerPlugin {
  const estimators = [fieldExtensionsEstimator(), listSizeEstimator];
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          // No operation of the document is named: operationResolutionPlugin answers that.
          if (!operation) return;
          // The same document (Apollo keeps one parsed tree per query text) costs the
          // same as long as its numbers do: only `first` changes a cost, and it is a
          // number. Estimating walks the operation and coerces every variable again (a
          // whole event for publishJobEvent), so it is done once per document and numbers.
          const key = costKey(request.operationName, request.variables);
          let known = costs.get(document);
          let cost = known?.get(key);
          if (cost === undefined) {
            try {
              cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName ?? undefined, estimators });
            } catch (error) {
              // Variables that do not fit the operation (execution would refuse them the
              // same way), or fragments that expand beyond the estimator's node limit.
              if (error instanceof GraphQLError) throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
              throw error;
            }
            if (!known) costs.set(document, (known = new Map()));
            if (known.size < MAX_COSTS_PER_DOCUMENT) known.set(key, cost);
          }
          if (cost > maxCost) {
            throw new GraphQLError(
              `Query cost limit of ${maxCost} exceeded, found ${cost}: ask for fewer items (first) or fewer fields, or split the query`,
              { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, maxCost, http: { status: 400 } } },
            );
          }
        },
      };
    },
  };
}

/** Costs remembered per document: one per operation and page sizes asked, a few in practice. */
const MAX_COSTS_PER_DOCUMENT = 64;

/** What a cost depends on besides the document: the operation, and the variables that are numbers. */
function costKey(operationName: string | null | undefined, variables: Record<string, unknown> | undefined): string {
  const numbers = Object.entries(variables ?? {}).filter(([, value]) => typeof value === 'number' || value === null);
  return `${operationName ?? ''}\u0000${JSON.stringify(numbers)}`;
}
