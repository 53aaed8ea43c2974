import { type RedisCluster, servers, startRedisCluster, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  connectRedis,
  dataNodes,
  deleteMatching,
  execPipelined,
  getMany,
  getManyBuffers,
  type RedisClient,
  scanKeys,
} from '../src/redis/client.js';

let cluster: RedisCluster;
let onCluster: RedisClient;
let onOne: RedisClient;

beforeAll(async () => {
  cluster = await startRedisCluster();
  onCluster = await connectRedis({ REDIS_URL: cluster.url, REDIS_CLUSTER: true });
  onOne = await connectRedis({
    REDIS_URL: servers().REDIS_URL,
    REDIS_TLS_CA: servers().REDIS_TLS_CA,
    REDIS_CLUSTER: false,
  });
});

afterAll(async () => {
  onCluster?.disconnect();
  onOne?.disconnect();
  await cluster?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('REDIS_CLUSTER is checked against the server at start', () => {
  it('refuses a plain client on a cluster node, naming REDIS_CLUSTER', async () => {
    const error = await refusal(connectRedis({ REDIS_URL: cluster.url, REDIS_CLUSTER: false }));
    expect(error.variables).toEqual(['REDIS_CLUSTER']);
    expect(error.message).toContain('is a Redis Cluster node: set REDIS_CLUSTER=true');
  });

  it('refuses a Cluster client on a plain server, naming REDIS_CLUSTER', async () => {
    const error = await refusal(
      connectRedis({ REDIS_URL: servers().REDIS_URL, REDIS_TLS_CA: servers().REDIS_TLS_CA, REDIS_CLUSTER: true }),
    );
    expect(error.variables).toEqual(['REDIS_CLUSTER']);
    expect(error.message).toContain('is not a Redis Cluster node');
  });

  it('names REDIS_URL when nothing answers there', async () => {
    const error = await connectRedis({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: false }, { timeoutMs: 1000 })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(error?.message).toMatch(/Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1\) not ready within 1000 ms/);
  });
});

describe('keys of many slots, on one server and on a cluster', () => {
  const prefix = `${uniqueName('rc')}:`;
  // 60 hash tags: spread over every master of the cluster
  const keys = Array.from({ length: 60 }, (_, i) => [`${prefix}{c:${i}}:a`, `${prefix}{c:${i}}:b`]).flat();

  it.each([
    ['one server', () => onOne, 1],
    ['a three-node cluster', () => onCluster, 3],
  ] as const)(
    'on %s: pipelined writes and reads (and getMany) keep their order; SCAN and delete reach every node',
    async (_, client, nodes) => {
      const redis = client();
      expect(dataNodes(redis)).toHaveLength(nodes);
      const written = await execPipelined(
        redis,
        keys.map((key, i) => ({ key, queue: (p) => p.set(key, String(i)) })),
      );
      expect(written).toEqual(keys.map(() => 'OK'));
      const read = await execPipelined(
        redis,
        keys.map((key) => ({ key, queue: (p) => p.get(key) })),
      );
      expect(read).toEqual(keys.map((_, i) => String(i)));
      // many GETs in one MGET per slot group, a missing key null, in the keys' order
      const asked = [...keys].reverse().concat(`${prefix}{c:none}:a`);
      const many = await getMany(redis, asked);
      expect(many).toEqual([...keys.map((_, i) => String(i)).reverse(), null]);
      expect((await getManyBuffers(redis, asked)).map((b) => b?.toString() ?? null)).toEqual(many);
      if (nodes > 1) {
        // the keys really are spread: every master holds some
        for (const node of dataNodes(redis)) expect((await node.keys(`${prefix}*`)).length).toBeGreaterThan(0);
      }
      expect((await scanKeys(redis, `${prefix}*`)).sort()).toEqual([...keys].sort());
      expect(await deleteMatching(redis, `${prefix}*`)).toBe(keys.length);
      expect(await scanKeys(redis, `${prefix}*`)).toEqual([]);
    },
  );

  it('on a cluster, a pipeline spanning nodes fails where execPipelined does not', async () => {
    const pipeline = onCluster.pipeline();
    for (const key of keys) pipeline.get(key);
    await expect(pipeline.exec()).rejects.toThrow(/same slots allocation group/);
  });
});
