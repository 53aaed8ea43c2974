import { fraudFeatureSet } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import { dataNodes, type RedisTarget, scanKeys } from '@pipeline/shared';
import { type RedisCluster, servers, startRedisCluster } from '@pipeline/testing';
import type { Decision, EnrichedTransaction, Score } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../src/keys.js';
import { createWorld, duplicates, sleep, until } from './harness.js';

const RULES = `version: "cluster-1"
score_bands: [{ name: high, min: 0.8 }, { name: low, min: 0 }]
thresholds: { default: { decline: 0.9, review: 0.6 } }
rules:
  - { id: very_large_amount, priority: 100, action: DECLINE, when: { field: transaction.amount_minor, op: ">", value: 1000000 } }
experiment:
  name: gbm_v2_trial
  variants:
    - { name: control, share: 0.5 }
    - { name: challenger, share: 0.5, model: fraud_gbm_v2 }
`;

const N = 300;

/** Simulated events with their champion and challenger scores; every tenth event unscored (rules only). */
function traffic(): { events: EnrichedTransaction[]; scores: Score[] } {
  const events: EnrichedTransaction[] = [];
  for (const e of simulate({ seed: 23, customers: 120, days: 30 })) {
    if (e.kind !== 'transaction') continue;
    events.push({
      transaction: e.value,
      features: {
        feature_set: fraudFeatureSet.name,
        version: fraudFeatureSet.version,
        values: fraudFeatureSet.names.map((_, i) => i % 3),
      },
      computed_at: 1_767_225_600_000,
    });
    if (events.length === N) break;
  }
  const scores = events.flatMap((e, i): Score[] => {
    if (i % 10 === 0) return [];
    const base = {
      event_id: e.transaction.event_id,
      customer_id: e.transaction.customer_id,
      event_time: e.transaction.event_time,
      feature_set_version: fraudFeatureSet.version,
      latency_ms: 2,
      scored_at: 1_767_225_600_000,
      contributions: [{ feature: 'event_amount', value: 0.2 }],
    };
    return [
      { ...base, model_name: 'fraud_gbm', model_version: '1', score: (i % 7) / 7, shadow: false },
      { ...base, model_name: 'fraud_gbm_v2', model_version: '1', score: (i % 5) / 5, shadow: true },
    ];
  });
  return { events, scores };
}

/**
 * The traffic through one engine, a restart replaying the topic with a new group, and an event whose
 * decision a crashed instance had claimed: the decisions (decided_at left out), and per data node
 * how many of the run's keys it held.
 */
async function run(redis: RedisTarget) {
  const world = await createWorld(RULES, fraudFeatureSet, 6, redis);
  try {
    const { events, scores } = traffic();
    const first = await world.startEngine({ budgetMs: 5_000 });
    for (let i = 0; i < N; i += 100) {
      const batch = events.slice(i, i + 100);
      const ids = new Set(batch.map((e) => e.transaction.event_id));
      await world.sendScores(scores.filter((s) => ids.has(s.event_id)));
      await world.sendEnriched(batch);
    }
    await until(() => world.decisions.length >= N, `${N} decisions`, 60_000);
    await first.engine.stop();

    // As if an instance crashed after claiming this event's decision, before Kafka acknowledged it.
    const crashed = { ...(events[0] as EnrichedTransaction) };
    crashed.transaction = { ...crashed.transaction, event_id: 'crashed-1' };
    const claimed: Decision = {
      ...(world.decisions.find((d) => d.event_id === events[0]?.transaction.event_id) as Decision),
      event_id: 'crashed-1',
      rule_set_version: 'crashed-run',
      decided_at: 123,
    };
    await world.redis.set(
      createKeys(world.keyPrefix).decided(crashed.transaction.customer_id, 'crashed-1'),
      `P${JSON.stringify(claimed)}`,
    );
    // A new group reads the enriched topic from the start: a replay of everything decided.
    await world.startEngine({ budgetMs: 5_000 });
    await world.sendEnriched([crashed]);
    await until(() => world.decisions.length >= N + 1, 'the re-emitted decision', 30_000);
    await sleep(2_000);

    const keys = await Promise.all(dataNodes(world.redis).map((node) => node.keys(`${world.keyPrefix}*`)));
    expect((await scanKeys(world.redis, `${world.keyPrefix}*`)).length).toBe(keys.flat().length);
    return {
      decisions: world.decisions.map(({ decided_at, ...d }) => d).sort((a, b) => a.event_id.localeCompare(b.event_id)),
      reemitted: world.decisions.find((d) => d.event_id === 'crashed-1'),
      claimed,
      duplicates: duplicates(world.decisions),
      keysPerNode: keys.map((k) => k.length),
      events,
    };
  } finally {
    await world.close();
  }
}

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('the decision engine on a three-node Redis Cluster', () => {
  it('decides as on one server: one decision per event, none again after a restart, a claimed one re-emitted unchanged', async () => {
    const one = await run({
      REDIS_URL: servers().REDIS_URL,
      REDIS_TLS_CA: servers().REDIS_TLS_CA,
      REDIS_CLUSTER: false,
    });
    const onCluster = await run({ REDIS_URL: cluster.url, REDIS_CLUSTER: true });

    for (const r of [one, onCluster]) {
      expect(r.duplicates).toEqual([]);
      expect(r.decisions).toHaveLength(N + 1);
      expect(new Set(r.decisions.map((d) => d.event_id))).toEqual(
        new Set([...r.events.map((e) => e.transaction.event_id), 'crashed-1']),
      );
      expect(r.reemitted).toEqual(r.claimed);
    }
    expect(onCluster.decisions).toEqual(one.decisions);
    // not trivially alike: both paths, several actions, both variants
    expect(new Set(one.decisions.map((d) => d.path))).toEqual(new Set(['MODEL_AND_RULES', 'RULES_ONLY']));
    expect(new Set(one.decisions.map((d) => d.action)).size).toBeGreaterThan(1);
    expect(new Set(one.decisions.map((d) => d.experiment_variant))).toEqual(new Set(['control', 'challenger']));
    // the join state really was spread over the cluster's three masters
    expect(onCluster.keysPerNode).toHaveLength(3);
    for (const n of onCluster.keysPerNode) expect(n).toBeGreaterThan(0);
  }, 150_000);
});
