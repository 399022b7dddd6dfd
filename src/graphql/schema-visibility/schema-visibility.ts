import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { BREAK, type DocumentNode, GraphQLError, visit } from 'graphql';
import { Injectable, Module } from '@nestjs/common';
import { bearerTokenOf, type RequestWithPrincipal } from '../../auth/auth.decorators';
import { InvalidTokenError, TokenService } from '../../auth/token.service';
import { HeraldConfig } from '../../config/herald-config';

/**
 * graphql-js's "Did you mean …?" hints. They spell out the schema, so they are
 * for those who may introspect it. (Apollo's hideSchemaDetailsFromClientErrors
 * only cleans validation errors, not those of variables: `{ input: { hots: … } }`
 * gets 'Field "hots" is not defined … Did you mean "host"?' from coercion.)
 */
const SUGGESTION = / ?Did you mean .+\?$/;

/** Whether the operation asks about the schema: `__schema` or `__type` anywhere (`__typename` tells nothing). */
function asksForSchema(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Whether the request carries a valid bearer token (its principal is remembered on the request, for the guard). */
function authenticated(request: RequestWithPrincipal | undefined, tokens: TokenService): boolean {
  const token = request && bearerTokenOf(request);
  if (!token) return false;
  try {
    request.principal ??= tokens.verify(token);
    return true;
  } catch (error) {
    if (error instanceof InvalidTokenError) return false;
    throw error;
  }
}

/**
 * Who is told the schema: with GRAPHQL_IDE on, a caller with a valid bearer token
 * gets introspection and "Did you mean …" hints; anyone else gets neither — an
 * introspection query is refused (UNAUTHENTICATED, HTTP 401) and the hints are cut
 * from every error. With GRAPHQL_IDE off nobody gets them (Apollo refuses
 * introspection itself). GraphiQL sends the token pasted in its headers, so it works
 * for those who may use it.
 */
@Injectable()
export class SchemaVisibility {
  constructor(
    private readonly tokens: TokenService,
    private readonly config: HeraldConfig,
  ) {}

  /** The Apollo plugin that does it. */
  plugin(): NonNullable<ApolloDriverConfig['plugins']>[number] {
    const { tokens } = this;
    const ide = this.config.graphqlIde;
    const plugin: ApolloServerPlugin<{ req?: RequestWithPrincipal }> = {
      async requestDidStart({ contextValue }) {
        if (ide && authenticated(contextValue.req, tokens)) return;
        return {
          async didResolveOperation({ document }) {
            if (!ide || !asksForSchema(document)) return;
            throw new GraphQLError('Introspection (__schema, __type) needs a valid bearer token: send Authorization: Bearer <token>', {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer']]) } },
            });
          },
          async willSendResponse({ response }) {
            if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
            response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
              SUGGESTION.test(error.message) ? { ...error, message: error.message.replace(SUGGESTION, '') } : error,
            );
          },
        };
      },
    };
    // @nestjs/apollo's plugin type is that of the CommonJS build of @apollo/server; Herald's imports resolve to the ES module's.
    return plugin as NonNullable<ApolloDriverConfig['plugins']>[number];
  }
}

/** For GraphQLModule.forRootAsync (TokenService comes from the global AuthModule). */
@Module({ providers: [SchemaVisibility], exports: [SchemaVisibility] })
export class SchemaVisibilityModule {}
