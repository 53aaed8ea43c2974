import { connectRedis, dataNodes, deleteMatching, type RedisClient } from '@pipeline/shared';
import { type RedisCluster, servers, startRedisCluster, uniqueName } from '@pipeline/testing';
import type { Decision } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../src/keys.js';
import { JoinState } from '../src/state.js';
import { score } from '../src/testing.js';
import { fraudRefs } from '../src/use-cases/fraud.js';

let cluster: RedisCluster;
const clients: RedisClient[] = [];
const prefix = `${uniqueName('dstate')}:`;

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  for (const c of clients) {
    await deleteMatching(c, `${prefix}*`);
    c.disconnect();
  }
  await cluster?.stop();
});

/** Counts socket writes on every data node: each write of a pipeline whose replies are awaited is a round trip. */
function countWrites(client: RedisClient): { writes: () => number[] } {
  const counts = dataNodes(client).map((node) => {
    const stream = node.stream;
    const write = stream.write.bind(stream);
    const counter = { n: 0 };
    stream.write = ((...args: Parameters<typeof write>) => {
      counter.n++;
      return write(...args);
    }) as typeof stream.write;
    return counter;
  });
  return {
    writes: () => {
      const now = counts.map((c) => c.n);
      for (const c of counts) c.n = 0;
      return now;
    },
  };
}

// 40 customers: their hash tags fall on every master of a three-node cluster
const events = Array.from({ length: 40 }, (_, i) => ({ entityId: `C${i}`, eventId: `e${i}` }));
const decision = (i: number, path: Decision['path'] = 'MODEL_AND_RULES'): Decision => ({
  event_id: `e${i}`,
  customer_id: `C${i}`,
  event_time: 1_767_225_600_000,
  action: 'APPROVE',
  reason_codes: [],
  score: 0.1,
  path,
  rule_set_version: 'r1',
  model_name: 'fraud_gbm',
  model_version: '7',
  feature_set_version: 3,
  experiment_variant: 'control',
  decided_at: 1,
});

describe('the join state: one round trip per call', () => {
  it.each([
    ['one server', false, 1],
    ['a three-node cluster', true, 3],
  ] as const)('on %s: one pipeline per data node per call, same answers', async (_, onCluster, nodes) => {
    const redis = await connectRedis({
      REDIS_URL: onCluster ? cluster.url : servers().REDIS_URL,
      REDIS_TLS_CA: onCluster ? undefined : servers().REDIS_TLS_CA,
      REDIS_CLUSTER: onCluster,
    });
    clients.push(redis);
    const state = new JoinState(
      redis,
      createKeys(`${prefix}${nodes}:`),
      { scoresMs: 60_000, decidedMs: 60_000 },
      fraudRefs,
    );
    await state.lookup(events); // connects every node
    const counter = countWrites(redis);
    const perNode = (writes: number[]) => {
      expect(writes).toHaveLength(nodes);
      // one write to every node: keys of 40 customers reach each of them
      expect(writes, 'writes per node').toEqual(writes.map(() => 1));
    };

    const held = await state.holdScores(
      events.slice(0, 20).map((e) => score(e.eventId, 0.1, { customer_id: e.entityId })),
    );
    perNode(counter.writes());
    expect(held.every((h) => h.decidedPath === null)).toBe(true);

    const first = await state.claim(events.map((_, i) => decision(i)));
    perNode(counter.writes());
    expect(first.map((d) => d?.event_id)).toEqual(events.map((e) => e.eventId));
    // a second claim gets the first, still pending, decision back
    const second = await state.claim(events.map((_, i) => decision(i, 'RULES_ONLY')));
    counter.writes();
    expect(second.map((d) => d?.path)).toEqual(events.map(() => 'MODEL_AND_RULES'));

    await state.markEmitted(events.map((_, i) => decision(i)));
    perNode(counter.writes());
    expect(await state.claim(events.map((_, i) => decision(i)))).toEqual(events.map(() => null));
    counter.writes();

    const known = await state.lookup(events);
    perNode(counter.writes());
    expect(known.map((k) => k.emitted)).toEqual(events.map(() => true));
    expect(known.map((k) => k.scores.length)).toEqual(events.map((_, i) => (i < 20 ? 1 : 0)));
  });
});
