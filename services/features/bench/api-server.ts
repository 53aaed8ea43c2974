/**
 * The online read API for bench:features, in its own process as in the service (not in the bench's,
 * whose heap holds the whole simulated traffic). argv: Redis URL, key prefix, or `--floor` for an
 * HTTP server that answers a fixed body without Redis: the floor of the measurement on this machine.
 * Admits the tokens of HTTP_AUTH_TOKENS, as the service does. Prints its port on stdout; stops when
 * stdin closes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpAuth, createLogger, httpAuthTokens, parseEnv } from '@pipeline/shared';
import { startFeatureApi } from '../src/api.js';
import { createRedis } from '../src/redis.js';
import { benchEngine } from './bench-engine.js';

const [redisUrl, prefix] = process.argv.slice(2) as [string, string];
let close: () => Promise<unknown>;
if (redisUrl === '--floor') {
  const body = JSON.stringify({ entity: 'customer', features: {} });
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  close = () => new Promise((resolve) => server.close(resolve));
} else {
  const redis = createRedis({ REDIS_URL: redisUrl, REDIS_TLS_CA: process.env.REDIS_TLS_CA });
  const { HTTP_AUTH_TOKENS } = parseEnv({ HTTP_AUTH_TOKENS: httpAuthTokens() });
  const auth = createHttpAuth({
    tokens: HTTP_AUTH_TOKENS,
    logger: createLogger('features-bench'),
    server: 'features-api',
  });
  const api = await startFeatureApi({ redis, engine: benchEngine(prefix), auth, port: 0, host: '127.0.0.1' });
  process.stdout.write(`${api.port}\n`);
  close = async () => {
    await api.close();
    await redis.quit();
  };
}
process.stdin.resume();
process.stdin.on('end', () => void close().then(() => process.exit(0)));
