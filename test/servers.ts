import { inject } from 'vitest';

/** The servers integration tests run against, as global-setup.ts found or started them. */
export interface Servers {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  REDIS_URL: string;
  CLICKHOUSE_URL: string;
}

export const SERVER_VARS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL', 'CLICKHOUSE_URL'] as const;

declare module 'vitest' {
  export interface ProvidedContext {
    servers: Servers;
  }
}

export function servers(): Servers {
  return inject('servers');
}

/** A name no other run or test uses, for topics, subjects, groups and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
