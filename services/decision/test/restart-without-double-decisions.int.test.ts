import { describe, expect, it } from 'vitest';
import { createKeys } from '../src/keys.js';
import { enriched, score, tinyFeatureSet } from '../src/testing.js';
import { createWorld, duplicates, sleep, until } from './harness.js';

const RULES = `version: "r1"
score_bands: [{ name: low, min: 0 }]
thresholds: { default: { decline: 0.9 } }
`;

const event = (i: number) => enriched({ event_id: `ev-${i}`, customer_id: `C${i % 5}` });

describe('a restart replaying the enriched topic makes no second decision', () => {
  it('skips events decided before, re-emits a claimed-but-unacknowledged decision unchanged, decides the new ones', async () => {
    const world = await createWorld(RULES, tinyFeatureSet);
    try {
      const first = await world.startEngine({ budgetMs: 300 });
      await world.sendScores(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => score(`ev-${i}`, 0.2, { customer_id: `C${i % 5}` })),
      );
      await world.sendEnriched([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(event));
      await until(() => world.decisions.length === 10, 'first decisions');
      await first.engine.stop();

      // As if an instance crashed after claiming ev-10 but before Kafka acknowledged its decision.
      const crashed = { ...event(10), transaction: { ...event(10).transaction, customer_id: 'C0' } };
      const claimedDecision = {
        event_id: 'ev-10',
        customer_id: 'C0',
        event_time: crashed.transaction.event_time,
        action: 'REVIEW',
        reason_codes: ['FALLBACK:RULES_ONLY'],
        score: null,
        path: 'RULES_ONLY',
        rule_set_version: 'crashed-run',
        model_name: null,
        model_version: null,
        feature_set_version: 3,
        experiment_variant: 'control',
        decided_at: 123,
      };
      await world.redis.set(createKeys(world.keyPrefix).decided('C0', 'ev-10'), `P${JSON.stringify(claimedDecision)}`);

      // A new group reads the enriched topic from the beginning: a full replay of everything decided.
      await world.startEngine({ budgetMs: 300 });
      await world.sendEnriched([crashed, ...[11, 12].map(event)]);
      await until(() => world.decisions.length >= 13, 'decisions after the restart');
      await sleep(2000);
      expect(world.decisions).toHaveLength(13);
      expect(duplicates(world.decisions)).toEqual([]);
      expect(world.decisions.find((d) => d.event_id === 'ev-10')).toEqual(claimedDecision);
      expect(world.decisions.filter((d) => d.event_id === 'ev-11' || d.event_id === 'ev-12')).toHaveLength(2);
    } finally {
      await world.close();
    }
  });
});
