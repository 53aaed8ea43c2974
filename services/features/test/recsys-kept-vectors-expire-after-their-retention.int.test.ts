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
import { taggedKeys } from '../src/keys.js';
import { createRedis } from '../src/redis.js';
import { applyRound, type RequestEngine } from '../src/requests.js';
import { deletePrefix, waitFor } from './harness.js';

/**
 * A request's candidate vectors are kept under its id for FEATURES_PROBE_RETENTION (here 1 s), and
 * nothing per probe: a redelivery within it gets the kept values, even once an interaction before
 * the request has arrived since; after it, the key has expired and a redelivery is served anew from
 * the state, counting that interaction. The interactions' own ids stay.
 * A popular_7d request's candidate list is kept twice the retention: a redelivery after the
 * kept vectors gets the same candidates read anew; after the list, candidates selected anew.
 */

const LATENESS = 10 * 60_000;
const MIN = 60_000;
const T = Date.UTC(2026, 0, 5, 12);
const redis = createRedis(servers());
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

function engineAt(prefix: string, retentionMs = 1000): RequestEngine {
  prefixes.push(prefix);
  return {
    declared: {
      set: recsysFeatureSet,
      plan: compileDeclaredPlan(recsysFeatureSet, LATENESS, Number.MAX_SAFE_INTEGER, retentionMs),
      prefix,
      rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
      problem: (event) => interactionProblem(event as Interaction),
    },
    problem: requestProblem,
    maxCandidates: 50,
  };
}
const prefix = `${uniqueName('probes')}:`;
const engine = engineAt(prefix);

const view = (id: string, user: string, minutes: number, item = 'I1'): Interaction => ({
  event_id: id,
  event_time: T + minutes * MIN,
  user_id: user,
  item_id: item,
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

async function serve(r = request, e = engine): Promise<EnrichedRequest> {
  const [out] = await applyRound(redis, e, [{ kind: 'request', request: r, horizon: 0 }], Date.now());
  if (!out?.ok) throw new Error(`request not served: ${out ? String(out.error) : 'no outcome'}`);
  return out.value as EnrichedRequest;
}

async function apply(e: RequestEngine, events: Interaction[]) {
  const outs = await applyRound(
    redis,
    e,
    events.map((event) => ({ kind: 'event', event, horizon: 0 })),
    0,
  );
  for (const out of outs) expect(out.ok).toBe(true);
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

describe("a request's kept vectors", () => {
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

    // the request's vectors, kept once; no entity records its probes
    const kept = `${prefix}{q:r1}:v5`;
    const ttl = await redis.pttl(kept);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    expect(await keys(`${prefix}*:d5:p*`)).toEqual([]);
    const again = await serve();
    expect(again.features).toEqual(first.features);

    await waitFor('the kept vectors to expire', async () => (await redis.exists(kept)) === 0, 30_000);
    const late = await serve();
    // served anew: the view that arrived since counts
    expect(late.features.candidates.map((c) => [c.item_id, c.category, c.values[views]])).toEqual([
      ['I1', 'shoes', 2],
      ['I2', '-', 0],
    ]);
    // the interactions' ids (and their recorded vectors) are kept for the id retention
    const ids = await keys(`${prefix}*:d5:[0-9]*`);
    expect(ids.length).toBeGreaterThan(0);
    for (const key of ids) expect(await redis.pttl(key)).toBeGreaterThan(86_400_000);
  }, 60_000);

  it("keep a popular_7d request's candidate list twice as long: a redelivery after them gets the same candidates, read anew", async () => {
    const own = `${uniqueName('sources')}:`;
    // 3 s of retention: room between the kept vectors' expiry and the list's
    const e = engineAt(own, 3000);
    const sourced: RecommendationRequest = {
      ...request,
      request_id: 'r2',
      candidate_item_ids: [],
      candidate_source: 'popular_7d',
    };
    const views = recsysFeatureSet.index('item_views_count_7d');
    const seen = (r: EnrichedRequest) => r.features.candidates.map((c) => [c.item_id, c.values[views]]);
    await apply(e, [view('v1', 'U1', -10)]);
    const first = await serve(sourced, e);
    expect(first.request.candidate_item_ids).toEqual(['I1']);
    const list = `${own}{q:r2}:c5`;
    const ttl = await redis.pttl(list);
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(6000);
    // before the request, arriving after it: I1 viewed again, I3 viewed (selected anew, it would be a candidate)
    await apply(e, [view('v2', 'U2', -5), view('v3', 'U3', -5, 'I3')]);
    expect(await serve(sourced, e)).toMatchObject({ features: first.features });

    await waitFor('the kept vectors to expire', async () => (await redis.exists(`${own}{q:r2}:v5`)) === 0, 30_000);
    expect(await redis.exists(list)).toBe(1);
    const after = await serve(sourced, e);
    // the same candidates, their vectors read anew (the view since counts)
    expect(after.request.candidate_item_ids).toEqual(['I1']);
    expect(seen(after)).toEqual([['I1', 2]]);

    await waitFor('the candidate list to expire', async () => (await redis.exists(list)) === 0, 30_000);
    const anew = await serve(sourced, e);
    expect(anew.request.candidate_item_ids).toEqual(['I1', 'I3']);
    expect(seen(anew)).toEqual([
      ['I1', 2],
      ['I3', 1],
    ]);
  }, 60_000);

  it("keeps each entity's state for its own longest window: a user's views 9 days, their purchases of an item 32", async () => {
    const own = `${uniqueName('ttl')}:`;
    const e = engineAt(own);
    await apply(e, [view('v1', 'U1', -10), { ...view('b1', 'U1', -5), type: 'PURCHASE', price_minor: 1200 }]);
    const { entityKeyTtlMs } = e.declared.plan;
    for (const [entity, tag, id] of [
      ['user_views', 'uv', 'U1'],
      ['user_item_purchases', 'uip', 'U1|I1'],
    ] as const) {
      const ttl = await redis.pttl(taggedKeys(own, tag, id).state);
      expect(ttl, entity).toBeLessThanOrEqual(entityKeyTtlMs[entity] as number);
      expect(ttl, entity).toBeGreaterThan((entityKeyTtlMs[entity] as number) - 60_000);
    }
    expect(entityKeyTtlMs.user_views).toBeLessThan(10 * 86_400_000);
    expect(entityKeyTtlMs.user_item_purchases).toBeGreaterThan(32 * 86_400_000);
  }, 60_000);
});
