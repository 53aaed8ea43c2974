import { fraudFeatureSet } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import type { EnrichedTransaction, Score } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { assignVariant } from '../src/experiment.js';
import { parseRuleSet } from '../src/rules/load.js';
import { createWorld, duplicates, sleep, until } from './harness.js';

const RULES = `version: "sim-1"
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

const N = 400;

describe('simulated traffic end to end', () => {
  it('N enriched transactions in, exactly N decisions out, each with its variant and its model', async () => {
    const world = await createWorld(RULES, fraudFeatureSet, 6);
    try {
      await world.startEngine({ budgetMs: 1000 });
      const events: EnrichedTransaction[] = [];
      for (const e of simulate({ seed: 7, customers: 150, days: 30 })) {
        if (e.kind !== 'transaction') continue;
        events.push({
          transaction: e.value,
          features: {
            feature_set: fraudFeatureSet.name,
            version: fraudFeatureSet.version,
            values: fraudFeatureSet.names.map(() => 0),
          },
          computed_at: Date.now(),
        });
        if (events.length === N) break;
      }
      // Acting as the scorer: a champion and a shadow challenger score per event; every tenth event unscored.
      const scores: Score[] = events.flatMap((e, i) => {
        if (i % 10 === 0) return [];
        const base = {
          event_id: e.transaction.event_id,
          customer_id: e.transaction.customer_id,
          event_time: e.transaction.event_time,
          feature_set_version: fraudFeatureSet.version,
          latency_ms: 2,
          scored_at: Date.now(),
          contributions: [{ feature: 'event_amount', value: 0.2 }],
        };
        return [
          { ...base, model_name: 'fraud_gbm', model_version: '1', score: 0.3, shadow: false },
          { ...base, model_name: 'fraud_gbm_v2', model_version: '1', score: 0.65, shadow: true },
        ];
      });
      for (let i = 0; i < N; i += 100) {
        await world.sendScores(scores.slice(2 * i, 2 * (i + 100)));
        await world.sendEnriched(events.slice(i, i + 100));
      }
      await until(() => world.decisions.length >= N, `${N} decisions`, 60_000);
      await sleep(1500);
      expect(world.decisions).toHaveLength(N);
      expect(duplicates(world.decisions)).toEqual([]);
      expect(new Set(world.decisions.map((d) => d.event_id))).toEqual(
        new Set(events.map((e) => e.transaction.event_id)),
      );

      const experiment = parseRuleSet(RULES, fraudFeatureSet).experiment;
      const variantOf = new Map<string, string>();
      for (const d of world.decisions) {
        expect(d.experiment_variant).toBe(assignVariant(experiment, d.customer_id).name);
        // Stable per customer.
        expect(variantOf.get(d.customer_id) ?? d.experiment_variant).toBe(d.experiment_variant);
        variantOf.set(d.customer_id, d.experiment_variant);
        if (d.path === 'MODEL_AND_RULES') {
          expect(d.model_name).toBe(d.experiment_variant === 'challenger' ? 'fraud_gbm_v2' : 'fraud_gbm');
          expect(d.action).toBe(d.experiment_variant === 'challenger' ? 'REVIEW' : 'APPROVE');
        }
      }
      expect(new Set(variantOf.values())).toEqual(new Set(['control', 'challenger']));
      const unscored = new Set(events.filter((_, i) => i % 10 === 0).map((e) => e.transaction.event_id));
      for (const d of world.decisions) expect(d.path).toBe(unscored.has(d.event_id) ? 'RULES_ONLY' : 'MODEL_AND_RULES');
    } finally {
      await world.close();
    }
  });
});
