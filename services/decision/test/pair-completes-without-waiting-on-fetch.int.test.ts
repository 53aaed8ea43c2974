import { redisTls } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { enriched, score, tinyFeatureSet } from '../src/testing.js';
import { createWorld, duplicates, sleep, until } from './harness.js';

const RULES = `version: "r1"
score_bands: [{ name: high, min: 0.8 }, { name: low, min: 0 }]
thresholds: { default: { decline: 0.9, review: 0.6 } }
rules: []
`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the engine decides each event when its own pair completes', () => {
  it('uses every score that comes a few ms after its event in a steady stream', async () => {
    const world = await createWorld(RULES, tinyFeatureSet);
    try {
      // The budget is generous for a loaded machine; scores come within milliseconds of their events.
      await world.startEngine({ budgetMs: 2_000 });
      for (const round of range(30)) {
        const ids = range(10).map((i) => `steady-${round}-${i}`);
        await world.sendEnriched(ids.map((id, i) => enriched({ event_id: id, customer_id: `C${i}` })));
        await sleep(3);
        await world.sendScores(ids.map((id, i) => score(id, 0.2, { customer_id: `C${i}` })));
        await sleep(10);
      }
      await until(() => world.decisions.length >= 300, '300 decisions');
      await sleep(500);
      expect(world.decisions).toHaveLength(300);
      expect(duplicates(world.decisions)).toEqual([]);
      expect(world.decisions.filter((d) => d.path !== 'MODEL_AND_RULES').map((d) => d.event_id)).toEqual([]);
    } finally {
      await world.close();
    }
  }, 90_000);

  it('does not hold later events of a partition behind one whose score never comes', async () => {
    const world = await createWorld(RULES, tinyFeatureSet, 1);
    try {
      const budgetMs = 4_000;
      await world.startEngine({ budgetMs });
      // One partition: the events come in order, the first one's score never does.
      await world.sendEnriched([enriched({ event_id: 'orphan', customer_id: 'C1' })]);
      await sleep(200);
      await world.sendEnriched(range(5).map((i) => enriched({ event_id: `later-${i}`, customer_id: 'C1' })));
      await sleep(100);
      await world.sendScores(range(5).map((i) => score(`later-${i}`, 0.95, { customer_id: 'C1' })));

      await until(() => world.decisions.length === 6, 'six decisions', budgetMs + 30_000);
      // The later events are decided with their scores before the orphan's budget runs out.
      expect(world.decisions.map((d) => d.event_id)).toEqual([...range(5).map((i) => `later-${i}`), 'orphan']);
      expect(world.decisions.slice(0, 5).every((d) => d.path === 'MODEL_AND_RULES' && d.action === 'DECLINE')).toBe(
        true,
      );
      expect(world.decisions[5]).toMatchObject({ event_id: 'orphan', path: 'RULES_ONLY' });
    } finally {
      await world.close();
    }
  }, 90_000);

  it('reports a crash it will not retry, so the service exits instead of sitting ready and idle', async () => {
    const world = await createWorld(RULES, tinyFeatureSet, 1);
    const broken = new Redis(servers().REDIS_URL, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      ...redisTls(servers()),
    });
    try {
      const crashes: Error[] = [];
      await world.startEngine({ budgetMs: 500, redis: broken, onCrash: (e) => crashes.push(e) });
      broken.disconnect();
      await world.sendEnriched([enriched({ event_id: 'no-redis', customer_id: 'C1' })]);
      await until(() => crashes.length > 0, 'the crash to be reported', 60_000);
      expect(crashes[0]?.message).toMatch(/connection|writable|closed/i);
      expect(world.decisions).toEqual([]);
    } finally {
      await world.close();
    }
  }, 90_000);
});
