import { connectRedis, createRedisClient, type RedisClient, type RedisTarget } from '@pipeline/shared';
import type { Redis } from 'ioredis';

/**
 * The feature service's client options (scripts are registered per plan by scriptsFor).
 * Auto-pipelined: the commands of one turn of the event loop, from every partition's batch, go out
 * as one write (per node in a Redis Cluster: every script call touches one entity's hash tag).
 */
export const featuresRedisOptions = { autoPipelining: true, maxRetriesPerRequest: 3 };

/** The service's client for REDIS_URL / REDIS_CLUSTER, checked against the server at start. */
export function connectFeaturesRedis(target: RedisTarget): Promise<RedisClient> {
  return connectRedis(target, featuresRedisOptions);
}

/** A client of one server with the service's options, for tests and benchmarks: a URL, or a URL and its CA. */
export function createRedis(target: string | Pick<RedisTarget, 'REDIS_URL' | 'REDIS_TLS_CA'>): Redis {
  const { REDIS_URL, REDIS_TLS_CA } =
    typeof target === 'string' ? { REDIS_URL: target, REDIS_TLS_CA: undefined } : target;
  return createRedisClient({ REDIS_URL, REDIS_TLS_CA, REDIS_CLUSTER: false }, featuresRedisOptions) as Redis;
}
