import type { RedisClient } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { createFrontier, decodeLane, encodeLane } from './frontier.js';

/** The two hash commands the frontier uses, over a Map. */
function fakeRedis() {
  const hash = new Map<string, string>();
  let writes = 0;
  const redis = {
    hset: async (_key: string, fields: Record<string, string>) => {
      writes++;
      for (const [f, v] of Object.entries(fields)) hash.set(f, v);
      return 1;
    },
    hmget: async (_key: string, ...fields: string[]) => fields.map((f) => hash.get(f) ?? null),
  };
  return { redis: redis as unknown as RedisClient, hash, writes: () => writes };
}

describe('frontier', () => {
  it('encodes a partition state and reads it back, infinities included', () => {
    const text = encodeLane({ partition: 3, bound: Number.NEGATIVE_INFINITY, caughtUpAt: 0 }, 'm1', 42);
    expect(decodeLane(3, text)).toEqual({
      partition: 3,
      bound: Number.NEGATIVE_INFINITY,
      caughtUpAt: 0,
      member: 'm1',
      at: 42,
    });
  });

  it("reads another member's partitions; unknown when missing, stale, or its own old field", async () => {
    const { redis, hash } = fakeRedis();
    let clock = 10_000;
    const a = createFrontier({ redis, key: 'k', member: 'a', staleMs: 5_000, now: () => clock });
    const b = createFrontier({ redis, key: 'k', member: 'b', staleMs: 5_000, now: () => clock });
    await a.publish([
      { partition: 0, bound: 100, caughtUpAt: 0 },
      { partition: 2, bound: 50, caughtUpAt: 9_000 },
    ]);
    hash.set('3', encodeLane({ partition: 3, bound: 70, caughtUpAt: 0 }, 'gone', 1_000));
    const unknown = (partition: number) => ({ partition, bound: Number.NEGATIVE_INFINITY, caughtUpAt: 0 });
    expect(await b.others([0, 1, 2, 3])).toEqual([
      { partition: 0, bound: 100, caughtUpAt: 0 },
      unknown(1),
      { partition: 2, bound: 50, caughtUpAt: 9_000 },
      unknown(3),
    ]);
    // a's own fields, left from before a rebalance, are not another member's
    expect(await a.others([0])).toEqual([unknown(0)]);
    clock += 6_000;
    expect(await b.others([0])).toEqual([unknown(0)]);
  });

  it('writes an unchanged state again only after a second', async () => {
    const { redis, writes } = fakeRedis();
    let clock = 0;
    const f = createFrontier({ redis, key: 'k', member: 'a', staleMs: 5_000, now: () => clock });
    const states = [{ partition: 0, bound: 1, caughtUpAt: 0 }];
    await f.publish(states);
    clock = 500;
    await f.publish(states);
    expect(writes()).toBe(1);
    await f.publish([{ partition: 0, bound: 2, caughtUpAt: 0 }]);
    clock = 1_600;
    await f.publish([{ partition: 0, bound: 2, caughtUpAt: 0 }]);
    expect(writes()).toBe(3);
  });
});
