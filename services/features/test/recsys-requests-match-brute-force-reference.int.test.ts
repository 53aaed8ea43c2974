import { computeRequestReference, type RequestStreamItem, recsysFeatureSet } from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import type { ConsumedRecord, Encoder, Producer } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import {
  type EnrichedRequest,
  enrichedRequestProblem,
  type Interaction,
  interactionProblem,
  type RecommendationRequest,
  requestProblem,
  schemaFor,
} from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDeclaredPlan } from '../src/declared.js';
import { createDeclaredHandler } from '../src/declared-handler.js';
import { createRedis } from '../src/redis.js';
import type { RequestEngine } from '../src/requests.js';
import { deletePrefix } from './harness.js';
import { rng } from './random-streams.js';

/**
 * The feature service's recommendation handler, against the real Redis: every candidate vector of
 * every request equals the brute-force definition (computeRequestReference: a read-only probe per
 * candidate at the request's arrival position), on seeded simulator sessions, every batch
 * redelivered; bad requests are refused with their reason.
 */

const LATENESS = 10 * 60_000;
const DAY = 86_400_000;
const EVENTS = 'interactions';
const REQUESTS = 'requests';
const redis = createRedis(servers());
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

function engine(maxCandidates = 1000): RequestEngine {
  const prefix = `${uniqueName('recsysreq')}:`;
  prefixes.push(prefix);
  return {
    declared: {
      set: recsysFeatureSet,
      plan: compileDeclaredPlan(recsysFeatureSet, LATENESS),
      prefix,
      rules: { maxFutureMs: 86_400_000, allowedLatenessMs: LATENESS },
      problem: (event) => interactionProblem(event as Interaction),
    },
    problem: requestProblem,
    maxCandidates,
  };
}

/** Records what the handler produces, encoded and decoded with the topic's Avro schema (NaN included). */
function recorder() {
  const type = schemaFor('recsys/enriched-request').type;
  const produced: { key: string; value: EnrichedRequest }[] = [];
  const encoder: Encoder<EnrichedRequest> = { subject: 'test', schemaId: 0, encode: (v) => type.toBuffer(v) };
  const producer = {
    send: async ({ messages }: { messages: { key: string; value: Buffer }[] }) => {
      for (const m of messages) produced.push({ key: m.key, value: type.fromBuffer(m.value) as EnrichedRequest });
      return [];
    },
  } as unknown as Producer;
  return { produced, encoder, producer };
}

function handlerFor(e: RequestEngine) {
  const out = recorder();
  const handler = createDeclaredHandler<Interaction>({
    redis,
    engine: e,
    producer: out.producer,
    encoder: out.encoder,
    groupId: uniqueName('g'),
    eventsTopic: EVENTS,
    requestsTopic: REQUESTS,
    enrichedTopic: 'enriched',
    keyField: 'user_id',
  });
  return { handler, produced: out.produced };
}

/**
 * Nine days of interactions and the requests opening each session (10 candidates; one in 40 after
 * the second day names popular_7d instead), in arrival order (labels left out).
 */
function sessions(seed: number): RequestStreamItem[] {
  const out: RequestStreamItem[] = [];
  let requests = 0;
  let start = Number.NaN;
  for (const e of simulateRecsys({
    seed,
    users: 60,
    items: 300,
    categories: 8,
    candidates: 10,
    k: 5,
    days: 9,
    evaluationDays: 0,
  })) {
    if (Number.isNaN(start)) start = e.time;
    if (e.kind === 'interaction') out.push({ kind: e.kind, value: e.value });
    else if (e.kind === 'request') {
      // one request in 40 after the first two days names the candidate source popular_7d instead
      const sourced = (requests++ % 40 === 39 && e.value.event_time > start + 2 * DAY) || false;
      const value = sourced ? { ...e.value, candidate_item_ids: [], candidate_source: 'popular_7d' } : e.value;
      out.push({ kind: e.kind, value });
    }
  }
  return out;
}

const context = { partition: 0, heartbeat: async () => {} } as const;

/** Runs of one kind, cut at random sizes: one topic-partition's batch each, with its offsets. */
function batches(stream: readonly RequestStreamItem[], seed: number) {
  const r = rng(seed);
  const offsets = { interaction: 0, request: 0 };
  const out: { topic: string; records: ConsumedRecord<Interaction | RecommendationRequest>[] }[] = [];
  for (let i = 0; i < stream.length; ) {
    const kind = (stream[i] as RequestStreamItem).kind;
    const size = 1 + Math.floor(r() * 40);
    const records: ConsumedRecord<Interaction | RecommendationRequest>[] = [];
    while (i < stream.length && records.length < size && (stream[i] as RequestStreamItem).kind === kind) {
      const value = (stream[i] as RequestStreamItem).value as Interaction | RecommendationRequest;
      records.push({
        topic: kind === 'interaction' ? EVENTS : REQUESTS,
        partition: 0,
        offset: String(offsets[kind]++),
        key: null,
        value,
        headers: {},
        timestamp: 0,
      });
      i++;
    }
    out.push({ topic: kind === 'interaction' ? EVENTS : REQUESTS, records });
  }
  return out;
}

describe('recommendation candidate vectors equal the brute-force reference on seeded sessions', () => {
  for (const seed of [1, 2]) {
    it(`sessions of seed ${seed}, batches of random size, every batch redelivered`, async () => {
      const stream = sessions(seed);
      const expected = computeRequestReference(recsysFeatureSet, stream);
      const { handler, produced } = handlerFor(engine());
      // Each batch is delivered again after the next one (a redelivery after a crash, once later
      // interactions made more items known): the same enriched requests, nothing counted twice.
      const first: typeof produced = [];
      const firstOf = new Map<unknown, typeof produced>();
      const deliver = async (batch: (typeof delivered)[number], delivery: number) => {
        const before = produced.length;
        const result = await handler(batch.records, { ...context, topic: batch.topic });
        expect(result?.rejected ?? [], `delivery ${delivery}`).toEqual([]);
        return produced.slice(before).map((p) => ({ ...p, value: { ...p.value, computed_at: 0 } }));
      };
      const delivered = batches(stream, seed);
      for (let i = 0; i <= delivered.length; i++) {
        const batch = delivered[i];
        if (batch) {
          const out = await deliver(batch, 1);
          firstOf.set(batch, out);
          first.push(...out);
        }
        const previous = delivered[i - 1];
        if (previous) expect(await deliver(previous, 2)).toEqual(firstOf.get(previous));
      }
      expect(first).toHaveLength(expected.length);
      const names = recsysFeatureSet.names;
      expected.forEach((want, n) => {
        const got = first[n];
        {
          const value = got?.value as EnrichedRequest;
          expect(got?.key).toBe(value.request.user_id);
          expect(value.request.request_id).toBe(want.requestId);
          expect(enrichedRequestProblem(value)).toBeUndefined();
          expect(value.features).toMatchObject({ feature_set: 'recsys_core', version: recsysFeatureSet.version });
          expect(value.features.candidates.map((c) => [c.item_id, c.category])).toEqual(
            want.probes.map((p) => {
              const probe = p as unknown as Interaction;
              return [probe.item_id, probe.category];
            }),
          );
          value.features.candidates.forEach((c, k) => {
            const w = want.vectors[k] as number[];
            const diff = names.flatMap((name, j) => (Object.is(w[j], c.values[j]) ? [] : [[name, w[j], c.values[j]]]));
            expect(diff, `request ${want.requestId} candidate ${k}`).toEqual([]);
          });
        }
      });
      // sanity: the sessions exercise what they claim to
      const all = expected.flatMap((r) =>
        r.vectors.map((v, k) => ({ v, probe: r.probes[k] as unknown as Interaction })),
      );
      const at = (name: string) => recsysFeatureSet.index(name);
      expect(expected.length).toBeGreaterThan(300);
      expect(all.filter((c) => c.probe.category === '-').length).toBeGreaterThan(10);
      expect(all.filter((c) => (c.v[at('user_category_views_count_7d')] as number) > 0).length).toBeGreaterThan(100);
      expect(all.filter((c) => (c.v[at('item_ctr_7d')] as number) > 0).length).toBeGreaterThan(100);
      expect(all.filter((c) => (c.v[at('user_clicks_count_1d')] as number) > 0).length).toBeGreaterThan(100);
      expect(all.some((c) => (c.v[at('user_item_purchases_count_30d')] as number) > 0)).toBe(true);
      // popular_7d's requests got the source's 50 candidates, listed in the enriched request
      const sourced = first.filter((p) => p.value.request.candidate_source === 'popular_7d');
      expect(sourced.length).toBeGreaterThan(3);
      for (const p of sourced) expect(p.value.request.candidate_item_ids).toHaveLength(50);
    }, 240_000);
  }

  it('refuses bad requests with their reason and enriches the good one beside them', async () => {
    const { handler, produced } = handlerFor(engine(3));
    const t = Date.UTC(2026, 0, 5);
    const good: RecommendationRequest = {
      request_id: 'r1',
      event_time: t,
      user_id: 'U1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: ['I1', 'I2'],
      candidate_source: null,
      k: 2,
    };
    const requests: RecommendationRequest[] = [
      { ...good, request_id: 'r2', candidate_item_ids: [] },
      { ...good, request_id: 'r3', candidate_item_ids: ['I1', 'I2', 'I3', 'I4'] },
      { ...good, request_id: 'r4', candidate_item_ids: ['I1', 'I 2'] },
      { ...good, request_id: 'r5', user_id: 'U|1' },
      { ...good, request_id: 'r6', candidate_item_ids: [], candidate_source: 'trending' },
      { ...good, request_id: 'r 7' },
      { ...good, request_id: 'r8', candidate_item_ids: [], candidate_source: 'popular_7d' },
      good,
    ];
    const records = requests.map((value, i) => ({
      topic: REQUESTS,
      partition: 0,
      offset: String(i),
      key: null,
      value,
      headers: {},
      timestamp: 0,
    }));
    const result = await handler(records, { ...context, topic: REQUESTS });
    const reasons = (result?.rejected ?? []).map((r) => [
      (r.record.value as RecommendationRequest).request_id,
      (r.error as Error).message,
    ]);
    expect(reasons).toEqual([
      ['r2', 'no candidate_item_ids and no candidate_source'],
      ['r3', '4 candidates, more than FEATURES_MAX_CANDIDATES (3)'],
      ['r4', expect.stringMatching(/^invalid candidate_item_ids\[1\] "I 2"/)],
      ['r5', expect.stringMatching(/^invalid user_id "U\|1"/)],
      [
        'r6',
        'candidate_source "trending" is not served: the feature set serves candidate_source popular_7d, listed candidate_item_ids',
      ],
      ['r 7', expect.stringMatching(/^invalid request_id "r 7"/)],
      ['r8', '50 candidates, more than FEATURES_MAX_CANDIDATES (3)'],
    ]);
    expect(produced.map((p) => p.value.request.request_id)).toEqual(['r1']);
    expect(produced[0]?.value.features.candidates.map((c) => c.category)).toEqual(['-', '-']);
  });

  it('refuses a popular_7d request when no item was viewed or clicked in its window', async () => {
    const { handler, produced } = handlerFor(engine());
    const t = Date.UTC(2026, 0, 5);
    const record = (offset: number, value: Interaction | RecommendationRequest, topic: string) => ({
      topic,
      partition: 0,
      offset: String(offset),
      key: null,
      value,
      headers: {},
      timestamp: 0,
    });
    const view: Interaction = {
      event_id: 'v1',
      event_time: t - 8 * DAY - 1, // before floor_D(t) - 7d
      user_id: 'U1',
      item_id: 'I1',
      category: 'books',
      type: 'VIEW',
      recommendation_id: null,
      position: null,
      price_minor: null,
    };
    expect((await handler([record(0, view, EVENTS)], { ...context, topic: EVENTS }))?.rejected).toEqual([]);
    const request: RecommendationRequest = {
      request_id: 'r1',
      event_time: t,
      user_id: 'U1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: [],
      candidate_source: 'popular_7d',
      k: 2,
    };
    const result = await handler([record(0, request, REQUESTS)], { ...context, topic: REQUESTS });
    expect((result?.rejected ?? []).map((r) => (r.error as Error).message)).toEqual([
      'candidate_source popular_7d has no candidates as of 2026-01-05T00:00:00.000Z: no item counted in its window',
    ]);
    expect(produced).toEqual([]);
  });
});
