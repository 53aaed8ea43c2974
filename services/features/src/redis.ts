import { Redis } from 'ioredis';

/** The feature service's client (scripts are registered per plan by scriptsFor). */
export function createRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
}
