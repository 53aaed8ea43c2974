import { connectRedis, type RedisClient, type RedisTarget } from '@pipeline/shared';
import { Redis } from 'ioredis';

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

/** A client of one server with the service's options, for tests and benchmarks. */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: featuresRedisOptions.maxRetriesPerRequest,
    enableAutoPipelining: featuresRedisOptions.autoPipelining,
  });
}
