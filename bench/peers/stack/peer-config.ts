/** The peer stack's settings, from its environment (set by bench/peers/peer-process.ts). */
export class PeerConfig {
  readonly port = Number(process.env.PORT);
  readonly databasePath = process.env.DATABASE_PATH!;
  readonly redis = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) };
  readonly smtp = { host: '127.0.0.1', port: Number(process.env.SMTP_PORT), poolSize: Number(process.env.SMTP_POOL_SIZE ?? 5) };
  readonly sender = process.env.SMTP_SENDER ?? 'Notifications <notifications@bench.example.com>';
  readonly gatewayUri = process.env.GATEWAY_URI ?? 'https://console.example.com';
  readonly jwtSecret = process.env.JWT_SECRET!;
}
