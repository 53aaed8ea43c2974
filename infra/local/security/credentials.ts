import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { allTopics, topologyPrincipals } from '@pipeline/topology';
import { ensureDir } from '../paths.js';

/**
 * Who logs in where. `admin` runs migrations, topology and tests; every service has its own user
 * with only what it needs (redis-acl.ts, clickhouse-users.ts).
 */
export const PRINCIPALS = {
  redis: ['admin', 'features', 'decision', 'api'],
  /** Roles: the sink, monitor and console write their tables; the analyst only reads. */
  clickhouse: ['admin', 'sink', 'monitor', 'console', 'analyst'],
  /** Every producer and consumer the topology names, and the console (kafka-acls.ts). */
  kafka: ['admin', 'console', ...topologyPrincipals(allTopics)],
} as const;

export type RedisUserName = (typeof PRINCIPALS.redis)[number];
export type ClickHouseUserName = (typeof PRINCIPALS.clickhouse)[number];

export interface Credentials {
  redis: Record<RedisUserName, string>;
  clickhouse: Record<ClickHouseUserName, string>;
  kafka: Record<string, string>;
}

/** 24 random bytes, hex: safe in URLs, config files and ACL rules without escaping. */
const newPassword = () => randomBytes(24).toString('hex');

/**
 * The set's passwords, made on first use and kept in `file` (mode 0600). A principal added later
 * gets a password on the next start; existing ones never change, so running services keep working.
 */
export function ensureCredentials(file: string): Credentials {
  const stored: Partial<Record<keyof Credentials, Record<string, string>>> = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : {};
  const fill = <N extends string>(names: readonly N[], have: Record<string, string> = {}) =>
    Object.fromEntries(names.map((n) => [n, have[n] ?? newPassword()])) as Record<N, string>;
  const credentials: Credentials = {
    redis: fill(PRINCIPALS.redis, stored.redis),
    clickhouse: fill(PRINCIPALS.clickhouse, stored.clickhouse),
    kafka: fill(PRINCIPALS.kafka, stored.kafka),
  };
  const text = `${JSON.stringify(credentials, null, 2)}\n`;
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
    ensureDir(dirname(file));
    writeFileSync(file, text, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return credentials;
}
