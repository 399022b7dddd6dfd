import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

/**
 * The baseline of the GraphQL benchmark: a bare @apollo/server answering the same
 * queries from memory — no Nest, no guard, no database. Run as a child process.
 */
const typeDefs = /* GraphQL */ `
  type SmtpSettings { host: String port: Int! sender: String username: String passwordSet: Boolean! security: String!
    authEnabled: Boolean! gatewayUri: String configured: Boolean! }
  type Me { id: ID! displayName: String email: String notificationsEnabled: Boolean! locale: String }
  type Query { smtpSettings: SmtpSettings! me: Me! }
`;
const smtpSettings = {
  host: 'smtp.example.com', port: 587, sender: 'Herald <herald@example.com>', username: 'herald', passwordSet: true,
  security: 'STARTTLS', authEnabled: true, gatewayUri: 'http://localhost:8081', configured: true,
};
const me = { id: 'bench-admin', displayName: 'Bench', email: 'bench@example.com', notificationsEnabled: true, locale: 'en' };

async function main() {
  const server = new ApolloServer({ typeDefs, resolvers: { Query: { smtpSettings: () => smtpSettings, me: () => me } } });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
  process.stdout.write(`ready ${url}\n`);
}
void main();
