import { Redis } from 'ioredis';

/**
 * The feature service's client (scripts are registered per plan by scriptsFor). Auto-pipelined: the
 * commands of one turn of the event loop, from every partition's batch, go out as one write.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3, enableAutoPipelining: true });
}
