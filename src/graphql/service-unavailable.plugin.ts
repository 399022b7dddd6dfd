import type { ApolloDriverConfig } from '@nestjs/apollo';

type ApolloServerPlugin = NonNullable<ApolloDriverConfig['plugins']>[number];

/**
 * The HTTP status of an executed operation (GraphQL over HTTP): 503 with
 * Retry-After (the longest any of its errors asks) when it has no data because the
 * database was unavailable (SERVICE_UNAVAILABLE, see HeraldExceptionFilter), so
 * that a client, a proxy or a load balancer knows to try again; else 200, partial
 * data included. Requests refused before execution (parse, validation, operation,
 * limits) keep their 4xx.
 *
 * It replaces @nestjs/apollo's plugin that set 200 on every executed operation
 * (`preserveHttpStatusForExecutionErrors: false`), which would undo the 503.
 */
export function serviceUnavailablePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const body = response.body;
          if (body.kind !== 'single' || !('data' in body.singleResult)) return;
          const waits = body.singleResult.data === null
            ? (body.singleResult.errors ?? []).filter((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE').map((e) => Number(e.extensions?.retryAfterSeconds) || 1)
            : [];
          if (waits.length === 0) return void (response.http.status = 200);
          response.http.status = 503;
          response.http.headers.set('retry-after', String(Math.max(...waits)));
        },
      };
    },
  };
}
