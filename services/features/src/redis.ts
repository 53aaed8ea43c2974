import { Redis } from 'ioredis';
import { defineScripts } from './scripts.js';

/** A client with the feature scripts defined on it. */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  defineScripts(redis);
  return redis;
}
