/** What `node dist/herald.cjs --help` (and `./herald start --help`, `npm start -- --help`) prints. */
export const SERVER_USAGE = `usage: herald server (./herald start, npm start, node dist/herald.cjs)

  Runs Herald: GraphQL at http://HOST:PORT/graphql, /health, /metrics, the preferences pages.
  It takes no arguments: its configuration comes from the environment and ./.env
  (PORT, HOST, DATABASE_URL, SMTP_HOST, …; .env.example lists every variable, with its
  default). SIGTERM or Ctrl-C stops it once the work in hand is done.
`;

/**
 * What the server does with its command line: null to start; else print and exit —
 * 0 for --help, 2 (a usage error) for anything else, which would otherwise be ignored
 * (`--port 4000` starting on port 3000).
 */
export function serverArguments(args: string[]): { exitCode: number; out?: string; err?: string } | null {
  if (args.length === 0) return null;
  if (args.some((a) => a === '--help' || a === '-h' || a === 'help')) return { exitCode: 0, out: SERVER_USAGE };
  const example = args[0] === '--port' && args[1] ? `PORT=${args[1]}` : 'PORT=3000';
  return { exitCode: 2, err: `herald: the server takes no arguments (got '${args[0]}'): its configuration comes from the environment, e.g. ${example}\n\n${SERVER_USAGE}` };
}
