import { computeEventReference, type FieldEvent, NO_WATERMARK, recsysFeatureSet } from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import { servers, uniqueName } from '@pipeline/testing';
import { type Interaction, interactionProblem } from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEvents, checkEvents, compileDeclaredPlan, type DeclaredEngine } from '../src/declared.js';
import { createRedis } from '../src/redis.js';
import { deletePrefix } from './harness.js';
import { rng } from './random-streams.js';

/**
 * The recommendation features (recsys_core: entities declared over interactions) computed by the
 * feature engine's script against Redis equal the brute-force reference, event by event, as of
 * each event, on seeded simulator sessions.
 */

const LATENESS = 10 * 60_000;
const redis = createRedis(servers());
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

function engine(): DeclaredEngine {
  const prefix = `${uniqueName('recsys')}:`;
  prefixes.push(prefix);
  return {
    set: recsysFeatureSet,
    plan: compileDeclaredPlan(recsysFeatureSet, LATENESS),
    prefix,
    rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
    problem: (event) => interactionProblem(event as Interaction),
  };
}

/** Nine days of sessions (the 7-day windows fill): about 3,500 interactions. */
function sessions(seed: number): Interaction[] {
  const out: Interaction[] = [];
  for (const e of simulateRecsys({
    seed,
    users: 60,
    items: 300,
    categories: 8,
    candidates: 20,
    k: 5,
    days: 9,
    evaluationDays: 0,
  })) {
    if (e.kind === 'interaction') out.push(e.value);
  }
  return out;
}

/** Feeds the events in batches of random size, the watermark carried from batch to batch. */
async function runEngine(e: DeclaredEngine, events: readonly FieldEvent[], seed: number, redeliver = false) {
  const r = rng(seed);
  const vectors: number[][] = [];
  let watermark = NO_WATERMARK;
  for (let i = 0; i < events.length; ) {
    const batch = events.slice(i, i + 1 + Math.floor(r() * 40));
    i += batch.length;
    const checked = checkEvents(e, batch, watermark, Date.now());
    expect(checked.refused.filter(Boolean)).toEqual([]);
    watermark = checked.watermark;
    const outcomes = await applyEvents(redis, e, batch, checked.horizons);
    const values = outcomes.map((o) => {
      if (!o.ok) throw o.error;
      return o.value;
    });
    if (redeliver) {
      // the same batch again (a redelivery after a crash): the same vectors, nothing counted twice
      const again = await applyEvents(redis, e, batch, checked.horizons);
      expect(again.map((o) => (o.ok ? o.value : o.error.message))).toEqual(values);
    }
    vectors.push(...values);
  }
  return vectors;
}

function expectSameVectors(expected: number[][], actual: number[][], events: readonly FieldEvent[]): void {
  expect(actual).toHaveLength(expected.length);
  const names = recsysFeatureSet.names;
  for (let k = 0; k < expected.length; k++) {
    const want = expected[k] as number[];
    const got = actual[k] as number[];
    const diff = names.flatMap((name, j) => (Object.is(want[j], got[j]) ? [] : [[name, want[j], got[j]]]));
    expect(diff, `event ${k} ${events[k]?.event_id}`).toEqual([]);
  }
}

/** Moves some events up to `spanMs` earlier in arrival order than their time: out of order within lateness. */
function jostle(events: readonly Interaction[], seed: number, spanMs: number): Interaction[] {
  const r = rng(seed);
  const keyed = events.map((e, i) => ({ e, i, at: e.event_time + (r() < 0.2 ? r() * spanMs : 0) }));
  return keyed.sort((a, b) => a.at - b.at || a.i - b.i).map((k) => k.e);
}

describe('recommendation features equal a brute-force reference on seeded sessions', () => {
  for (const seed of [1, 2]) {
    it(`sessions of seed ${seed}, in event-time order, every batch redelivered`, async () => {
      const events = sessions(seed);
      const expected = computeEventReference(recsysFeatureSet, events);
      const actual = await runEngine(engine(), events, seed, true);
      expectSameVectors(expected, actual, events);
      // sanity: the stream exercises what it claims to
      const at = (name: string) => recsysFeatureSet.index(name);
      expect(events.length).toBeGreaterThan(2_000);
      expect(expected.filter((v) => (v[at('user_clicks_count_7d')] as number) > 3).length).toBeGreaterThan(100);
      expect(expected.filter((v) => (v[at('item_ctr_7d')] as number) > 0).length).toBeGreaterThan(100);
      expect(expected.filter((v) => (v[at('user_category_click_share_7d')] as number) > 0).length).toBeGreaterThan(100);
      expect(expected.filter((v) => (v[at('user_views_count_1h')] as number) > 0).length).toBeGreaterThan(100);
      // views read clicks: a view's user click count is not always 0
      const viewsWithClicks = events.filter(
        (e, k) => e.type === 'VIEW' && ((expected[k] as number[])[at('user_clicks_count_1d')] as number) > 0,
      );
      expect(viewsWithClicks.length).toBeGreaterThan(100);
    });
  }

  it('sessions arriving out of order within the lateness, every batch redelivered', async () => {
    const events = jostle(sessions(3), 3, 5 * 60_000);
    expect(events.some((e, k) => k > 0 && e.event_time < (events[k - 1] as Interaction).event_time)).toBe(true);
    const expected = computeEventReference(recsysFeatureSet, events);
    expectSameVectors(expected, await runEngine(engine(), events, 3, true), events);
  });
});
