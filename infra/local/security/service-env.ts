import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../paths.js';
import { type ServerSet, setPort } from '../server-set.js';
import type { ClickHouseUserName, RedisUserName } from './credentials.js';
import { securityDir, setSecurity } from './index.js';

/** Which user each service logs in as on each server (none: it does not use that server). */
export const SERVICE_USERS: Record<string, { kafka?: string; redis?: RedisUserName; clickhouse?: ClickHouseUserName }> =
  {
    features: { kafka: 'features', redis: 'features' },
    scorer: { kafka: 'scorer' },
    decision: { kafka: 'decision', redis: 'decision' },
    api: { kafka: 'api', redis: 'api' },
    sink: { kafka: 'sink', clickhouse: 'sink' },
    monitor: { kafka: 'monitor', clickhouse: 'monitor' },
    // The retraining job and the experiments analysis read and write analysis tables as the monitor does.
    retrain: { kafka: 'retrain', clickhouse: 'monitor' },
    experiments: { kafka: 'experiments', clickhouse: 'monitor' },
    console: { kafka: 'console', clickhouse: 'console' },
    loadtest: { kafka: 'loadtest' },
    analyst: { clickhouse: 'analyst' },
  };

/** The server variables of one service of a set: its own users, the set's CA. */
export function serviceEnv(set: ServerSet, service: string): Record<string, string> {
  const users = SERVICE_USERS[service];
  if (!users) throw new Error(`no users for service '${service}' (known: ${Object.keys(SERVICE_USERS).join(', ')})`);
  const { tls, credentials } = setSecurity(set);
  const port = (p: number) => setPort(set, p);
  return {
    ...(users.kafka
      ? {
          KAFKA_BROKERS: `127.0.0.1:${port(9092)}`,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_USERNAME: users.kafka,
          KAFKA_SASL_PASSWORD: credentials.kafka[users.kafka] as string,
          KAFKA_TLS_CA: tls.ca,
          SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port(8081)}/apis/ccompat/v7`,
        }
      : {}),
    ...(users.redis
      ? {
          REDIS_URL: `rediss://${users.redis}:${credentials.redis[users.redis]}@127.0.0.1:${port(6379)}`,
          REDIS_TLS_CA: tls.ca,
        }
      : {}),
    ...(users.clickhouse
      ? {
          CLICKHOUSE_URL: `https://${users.clickhouse}:${credentials.clickhouse[users.clickhouse]}@127.0.0.1:${port(8443)}`,
          CLICKHOUSE_TLS_CA: tls.ca,
        }
      : {}),
  };
}

/**
 * Writes `<security>/env/<service>.env` (mode 0600) for every service: `set -a; . .local/security/env/sink.env`
 * points a service started by hand at the set with its own credentials. Returns the directory.
 */
export function writeServiceEnvFiles(set: ServerSet): string {
  const dir = ensureDir(join(securityDir(set), 'env'));
  for (const service of Object.keys(SERVICE_USERS)) {
    const lines = Object.entries(serviceEnv(set, service)).map(([key, value]) => `${key}=${value}`);
    writeFileSync(join(dir, `${service}.env`), `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  return dir;
}
