import { recsysFeatureSet } from '@pipeline/feature-sets';
import { servers, uniqueName } from '@pipeline/testing';
import {
  type EnrichedRequest,
  type Interaction,
  interactionProblem,
  type RecommendationRequest,
  requestProblem,
} from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDeclaredPlan } from '../src/declared.js';
import { createRedis } from '../src/redis.js';
import { applyRound, type RequestEngine } from '../src/requests.js';
import { deletePrefix, waitFor } from './harness.js';

/**
 * A request's candidate vectors are recorded for FEATURES_PROBE_RETENTION (here 1 s): a
 * redelivery within it gets the recorded values, even once an interaction before the request has
 * arrived since; after it, the records and the request's lookups are gone (their keys expired) and a
 * redelivery is served anew from the state, counting that interaction. The interactions' own ids stay.
 */

const LATENESS = 10 * 60_000;
const MIN = 60_000;
const T = Date.UTC(2026, 0, 5, 12);
const redis = createRedis(servers());
const prefix = `${uniqueName('probes')}:`;
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

const engine: RequestEngine = {
  declared: {
    set: recsysFeatureSet,
    plan: compileDeclaredPlan(recsysFeatureSet, LATENESS, Number.MAX_SAFE_INTEGER, 1000),
    prefix,
    rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
    problem: (event) => interactionProblem(event as Interaction),
  },
  problem: requestProblem,
  maxCandidates: 10,
};

const view = (id: string, user: string, minutes: number): Interaction => ({
  event_id: id,
  event_time: T + minutes * MIN,
  user_id: user,
  item_id: 'I1',
  category: 'shoes',
  type: 'VIEW',
  recommendation_id: null,
  position: null,
  price_minor: null,
});
const request: RecommendationRequest = {
  request_id: 'r1',
  event_time: T,
  user_id: 'U1',
  context: { surface: 'home', device: null, current_item_id: null },
  candidate_item_ids: ['I1', 'I2'],
  candidate_source: null,
  k: 2,
};

async function serve(): Promise<EnrichedRequest> {
  const [out] = await applyRound(redis, engine, [{ kind: 'request', request, horizon: 0 }], Date.now());
  if (!out?.ok) throw new Error(`request not served: ${out ? String(out.error) : 'no outcome'}`);
  return out.value as EnrichedRequest;
}

async function keys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

describe('probe records', () => {
  it('give a redelivery within the retention the same vectors, and expire after it', async () => {
    const views = recsysFeatureSet.index('item_views_count_1h');
    for (const out of await applyRound(redis, engine, [{ kind: 'event', event: view('v1', 'U1', -10), horizon: 0 }], 0))
      expect(out.ok).toBe(true);
    const first = await serve();
    expect(first.features.candidates.map((c) => [c.item_id, c.category, c.values[views]])).toEqual([
      ['I1', 'shoes', 1],
      ['I2', '-', 0],
    ]);
    // another user's view of the item, before the request, arrives after it
    for (const out of await applyRound(redis, engine, [{ kind: 'event', event: view('v2', 'U2', -5), horizon: 0 }], 0))
      expect(out.ok).toBe(true);

    const probes = await keys(`${prefix}*:d5:p*`);
    // one record hash per declared entity the candidates read (user, item, user x category; I2's too)
    expect(probes.length).toBeGreaterThan(3);
    for (const key of probes) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(1000);
    }
    const again = await serve();
    expect(again.features).toEqual(first.features);

    expect(await redis.pttl(`${prefix}{q:r1}:k5`)).toBeLessThanOrEqual(1000);
    await waitFor('the probe records to expire', async () => (await keys(`${prefix}*:d5:p*`)).length === 0, 30_000);
    const late = await serve();
    // served anew (its lookups expired with the records): the view that arrived since counts
    expect(late.features.candidates.map((c) => [c.item_id, c.category, c.values[views]])).toEqual([
      ['I1', 'shoes', 2],
      ['I2', '-', 0],
    ]);
    // the interactions' ids (and their recorded vectors) are kept for the id retention
    const ids = await keys(`${prefix}*:d5:[0-9]*`);
    expect(ids.length).toBeGreaterThan(0);
    for (const key of ids) expect(await redis.pttl(key)).toBeGreaterThan(86_400_000);
  }, 60_000);
});
