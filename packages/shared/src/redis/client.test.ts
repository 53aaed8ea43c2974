import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createRedisClient } from './client.js';

describe('createRedisClient', () => {
  it('refuses a database number with REDIS_CLUSTER=true, naming both variables', () => {
    let caught: unknown;
    try {
      createRedisClient({ REDIS_URL: 'redis://127.0.0.1:7000/3', REDIS_CLUSTER: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variables).toEqual(['REDIS_URL', 'REDIS_CLUSTER']);
    expect((caught as Error).message).toMatch(/selects database 3.*only database 0/);
  });
});
