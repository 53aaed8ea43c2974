import { INGEST_TIME_HEADER } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { enriched, score, tinyFeatureSet } from '../src/testing.js';
import { createWorld, sleep, until } from './harness.js';

const RULES = `version: "r1"
score_bands: [{ name: high, min: 0.8 }, { name: low, min: 0 }]
thresholds: { default: { decline: 0.9, review: 0.6 } }
rules: []
`;

const event = (phase: string, i: number) => enriched({ event_id: `${phase}-${i}`, customer_id: `C${i % 5}` });
const scoreFor = (phase: string, i: number) => score(`${phase}-${i}`, 0.3, { customer_id: `C${i % 5}` });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('an engine catching up after an outage', () => {
  it('waits the catch-up budget for the scores of events that arrive already late; fresh ones keep the budget', async () => {
    const world = await createWorld(RULES, tinyFeatureSet);
    try {
      await world.startEngine({ budgetMs: 200, catchUp: { afterMs: 1_000, budgetMs: 8_000 } });
      const byPrefix = (prefix: string) => world.decisions.filter((d) => d.event_id.startsWith(prefix));

      // Ingested a minute ago (a restarted engine, a feature service catching up): their scores come
      // two seconds after them, as from a scorer working through its own backlog.
      await world.sendEnriched(
        range(20).map((i) => event('behind', i)),
        { [INGEST_TIME_HEADER]: String(Date.now() - 60_000) },
      );
      // Fresh, with and without the header: the budget holds, whatever the backlog.
      await world.sendEnriched(
        range(10).map((i) => event('fresh', i)),
        { [INGEST_TIME_HEADER]: String(Date.now()) },
      );
      await world.sendEnriched(range(10).map((i) => event('unstamped', i)));
      await sleep(2_000);
      await world.sendScores([
        ...range(20).map((i) => scoreFor('behind', i)),
        ...range(10).map((i) => scoreFor('fresh', i)),
        ...range(10).map((i) => scoreFor('unstamped', i)),
      ]);

      await until(() => world.decisions.length >= 40, '40 decisions');
      expect(byPrefix('behind').map((d) => d.path)).toEqual(Array(20).fill('MODEL_AND_RULES'));
      expect(byPrefix('behind').every((d) => d.score === 0.3)).toBe(true);
      expect(byPrefix('fresh').map((d) => d.path)).toEqual(Array(10).fill('RULES_ONLY'));
      expect(byPrefix('unstamped').map((d) => d.path)).toEqual(Array(10).fill('RULES_ONLY'));
      // And none decided twice.
      await sleep(300);
      expect(world.decisions).toHaveLength(40);
    } finally {
      await world.close();
    }
  });
});
