import {
  computeRequestReference,
  mergeByEventTime,
  type RequestStreamItem,
  type RequestVectors,
  recsysFeatureSet,
} from '@pipeline/feature-sets';
import { simulateRecsys } from '@pipeline/loadtest';
import { type ConsumedRecord, createLogger, type Encoder, type Producer } from '@pipeline/shared';
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
 * every request equals the brute-force definition (computeRequestReference over the partitions'
 * event-time merge, mergeByEventTime: a read-only probe per candidate at the request's place), on
 * seeded simulator sessions, delivered in batches of random size as a consumer's fetches would,
 * every batch redelivered after a restart; over several partitions read at different speeds, with
 * interactions out of order within their partition, the same; bad requests are refused with their
 * reason.
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

const logger = createLogger('recsys-requests-test', 'error');

function handlerFor(e: RequestEngine, groupId = uniqueName('g')) {
  const out = recorder();
  const declared = createDeclaredHandler<Interaction>({
    redis,
    engine: e,
    producer: out.producer,
    encoder: out.encoder,
    groupId,
    eventsTopic: EVENTS,
    requestsTopic: REQUESTS,
    enrichedTopic: 'enriched',
    keyField: 'user_id',
    logger,
    // never passed over: every partition delivers in the end
    alignMaxWaitMs: 600_000,
  });
  return { declared, produced: out.produced };
}

/**
 * Nine days of interactions and the requests opening each session (10 candidates; one in 40 after
 * the second day names popular_7d instead), in the simulator's order (labels left out).
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

type Value = Interaction | RecommendationRequest;

/** One topic-partition's records, as the consumer reads them. */
interface Lane {
  topic: string;
  partition: number;
  records: ConsumedRecord<Value>[];
}

/**
 * The partitions of the two topics (users spread over `partitions` by a hash of their id, as a
 * keyed producer does), in the merge's lane order: partition p's interactions, then its requests.
 */
function lanesOf(stream: readonly RequestStreamItem[], partitions: number): Lane[] {
  const lanes: Lane[] = [];
  for (let p = 0; p < partitions; p++) {
    lanes.push({ topic: EVENTS, partition: p, records: [] }, { topic: REQUESTS, partition: p, records: [] });
  }
  for (const item of stream) {
    const value = item.value as Value;
    let h = 0;
    for (const c of value.user_id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const lane = lanes[2 * (h % partitions) + (item.kind === 'request' ? 1 : 0)] as Lane;
    lane.records.push({
      topic: lane.topic,
      partition: lane.partition,
      offset: String(lane.records.length),
      key: null,
      value,
      headers: {},
      timestamp: 0,
    });
  }
  return lanes;
}

/** The definition's vectors for the lanes: the reference over their event-time merge. */
function reference(lanes: readonly Lane[]): RequestVectors[] {
  const merged = mergeByEventTime(
    lanes.map((l) => l.records),
    (r) => r.value.event_time,
  );
  return computeRequestReference(
    recsysFeatureSet,
    merged.map((r) =>
      r.topic === EVENTS ? { kind: 'interaction', value: r.value as Interaction } : { kind: 'request', value: r.value },
    ),
  );
}

/**
 * Delivers the lanes to the handler as the consumer does (every record on the broker from the
 * start, a replay), from `start` (offsets per lane): each fetch brings a batch of random size from
 * each lane `pick` chooses among those not done, reported with every lane's position first
 * (onFetch); then the batches are handed over. Once every lane is done, everything settles. With
 * `stopAfter`, the member stops after that many fetches as if killed (what it buffered is dropped);
 * returns where each lane's commits stand (the start of its first batch not settled, or not
 * delivered before fetch `commitsAt`, when commits were last flushed).
 */
async function consume(
  declared: ReturnType<typeof handlerFor>['declared'],
  lanes: readonly Lane[],
  seed: number,
  pick: (open: number[], fetch: number) => number[],
  options: { start?: number[]; stopAfter?: number; commitsAt?: number } = {},
): Promise<number[]> {
  const r = rng(seed);
  const next = options.start ? [...options.start] : lanes.map(() => 0);
  const settled: Promise<unknown>[] = [];
  const batches: { lane: number; from: number; fetch: number; done: boolean }[] = [];
  declared.onAssigned({
    [EVENTS]: lanes.filter((l) => l.topic === EVENTS).map((l) => l.partition),
    [REQUESTS]: lanes.filter((l) => l.topic === REQUESTS).map((l) => l.partition),
  });
  for (let fetch = 0; fetch !== options.stopAfter; fetch++) {
    const open = lanes.flatMap((l, i) => ((next[i] as number) < l.records.length ? [i] : []));
    if (open.length === 0) break;
    const chunks = pick(open, fetch).map((lane) => {
      const from = next[lane] as number;
      return { lane, from, records: (lanes[lane] as Lane).records.slice(from, from + 1 + Math.floor(r() * 40)) };
    });
    for (const c of chunks) next[c.lane] = c.from + c.records.length;
    const now = Date.now();
    declared.onFetch(
      lanes.map((l, i) => ({
        topic: l.topic,
        partition: l.partition,
        highWatermark: String(l.records.length),
        nextOffset: String(next[i]),
        delivered: chunks.some((c) => c.lane === i),
      })),
      { startedAt: now, returnedAt: now },
    );
    // the next fetch is network I/O: what the handler scheduled runs meanwhile
    await new Promise((resolve) => setImmediate(resolve));
    for (const c of chunks) {
      const lane = lanes[c.lane] as Lane;
      const result = await declared.handler(c.records, {
        topic: lane.topic,
        partition: lane.partition,
        heartbeat: async () => {},
      });
      expect(result.rejected ?? [], `batch of ${lane.topic}:${lane.partition}`).toEqual([]);
      const batch = { lane: c.lane, from: c.from, fetch, done: !result.settled };
      batches.push(batch);
      if (result.settled) {
        settled.push(
          result.settled.then(
            (late) => {
              expect((late as { rejected: unknown[] }).rejected).toEqual([]);
              batch.done = true;
            },
            (error: unknown) => {
              if (options.stopAfter === undefined) throw error;
            },
          ),
        );
      }
    }
  }
  if (options.stopAfter !== undefined) {
    // What can be applied is applied before the kill, however slow Redis is (a loaded machine):
    // otherwise no batch after the commits may have produced yet, and nothing is redelivered twice.
    // Rounds held for another partition's records stay held, up to the second.
    await Promise.race([Promise.all(settled), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    // killed: its buffered records go (their batches are consumed again by the next member)
    declared.onRebalancing();
  }
  await Promise.all(settled);
  // commits flushed at fetch `commitsAt` at the latest (a commit interval): what came since goes again
  const since = options.commitsAt ?? Number.POSITIVE_INFINITY;
  return lanes.map(
    (_, i) => batches.find((b) => b.lane === i && (!b.done || b.fetch >= since))?.from ?? (next[i] as number),
  );
}

/** Every enriched request equals the reference's, in the order its requests were merged. */
function expectReference(produced: { key: string; value: EnrichedRequest }[], expected: readonly RequestVectors[]) {
  const byId = new Map(produced.map((p) => [p.value.request.request_id, p]));
  expect(byId.size).toBe(produced.length);
  expect(produced).toHaveLength(expected.length);
  const names = recsysFeatureSet.names;
  for (const want of expected) {
    const got = byId.get(want.requestId);
    const value = got?.value as EnrichedRequest;
    expect(got?.key).toBe(value.request.user_id);
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
}

const withoutComputedAt = (produced: { key: string; value: EnrichedRequest }[]) =>
  produced.map((p) => ({ ...p, value: { ...p.value, computed_at: 0 } }));

describe('recommendation candidate vectors equal the brute-force reference on seeded sessions', () => {
  for (const seed of [1, 2]) {
    it(`sessions of seed ${seed}, batches of random size, a member killed and its uncommitted batches redelivered`, async () => {
      const lanes = lanesOf(sessions(seed), 1);
      const expected = reference(lanes);
      const e = engine();
      const group = uniqueName('g');
      // A member killed after some fetches (what it held back dropped), then another one from the
      // commits, with the same state: what both produced agrees, requests produced twice (applied,
      // their batch not committed) the same, and all of it equals the reference.
      const first = handlerFor(e, group);
      const each = (open: number[], fetch: number) => [open[fetch % open.length] as number];
      const committed = await consume(first.declared, lanes, seed, each, { stopAfter: 40, commitsAt: 30 });
      const again = handlerFor(e, group);
      await consume(again.declared, lanes, seed + 10, each, { start: committed });
      const byId = new Map(withoutComputedAt(first.produced).map((p) => [p.value.request.request_id, p]));
      let twice = 0;
      for (const p of withoutComputedAt(again.produced)) {
        const before = byId.get(p.value.request.request_id);
        if (before) {
          twice += 1;
          expect(p).toEqual(before);
        } else byId.set(p.value.request.request_id, p);
      }
      expect(twice).toBeGreaterThan(0);
      expectReference([...byId.values()], expected);

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
      const sourced = [...byId.values()].filter((p) => p.value.request.candidate_source === 'popular_7d');
      expect(sourced.length).toBeGreaterThan(3);
      for (const p of sourced) expect(p.value.request.candidate_item_ids).toHaveLength(50);
    }, 240_000);
  }

  it('over three partitions read at different speeds, interactions out of order within theirs, the same', async () => {
    const lanes = lanesOf(sessions(3), 3);
    // a tenth of the interactions swapped with the next of their partition (within the lateness)
    const r = rng(33);
    for (const lane of lanes.filter((l) => l.topic === EVENTS)) {
      const rs = lane.records;
      for (let i = 0; i + 1 < rs.length; i++) {
        const [x, y] = [rs[i] as ConsumedRecord<Value>, rs[i + 1] as ConsumedRecord<Value>];
        if (r() < 0.1 && y.value.event_time - x.value.event_time < LATENESS / 2) {
          [x.value, y.value] = [y.value, x.value];
          i++;
        }
      }
    }
    const expected = reference(lanes);
    // Items are fed by every partition: an order that is not the merge gives other vectors.
    const concatenated = computeRequestReference(
      recsysFeatureSet,
      lanes.flatMap((l) =>
        l.records.map(
          (rec): RequestStreamItem =>
            l.topic === EVENTS
              ? { kind: 'interaction', value: rec.value as Interaction }
              : { kind: 'request', value: rec.value },
        ),
      ),
    );
    const differ = expected.filter((want) => {
      const other = concatenated.find((c) => c.requestId === want.requestId);
      return JSON.stringify(other?.vectors) !== JSON.stringify(want.vectors);
    });
    expect(differ.length).toBeGreaterThan(expected.length / 2);
    const outOfOrder = lanes.filter((l) =>
      l.records.some(
        (rec, i) => i > 0 && rec.value.event_time < (l.records[i - 1] as ConsumedRecord<Value>).value.event_time,
      ),
    );
    expect(outOfOrder.length).toBeGreaterThan(0);
    // popular_7d's requests too: their candidates read item counts of every partition
    const sourced = lanes.flatMap((l) =>
      l.records.filter((rec) => (rec.value as RecommendationRequest).candidate_source === 'popular_7d'),
    );
    expect(sourced.length).toBeGreaterThan(3);

    // partition 0's two topics read one fetch in five, the others every fetch
    const slow = handlerFor(engine());
    await consume(slow.declared, lanes, 4, (open, fetch) =>
      open.filter((lane) => lane > 1 || fetch % 5 === 0).concat(open.every((lane) => lane <= 1) ? open : []),
    );
    expectReference(slow.produced, expected);
    // one lane a fetch, chosen at random: every partition's reads interleaved differently
    const pick = rng(5);
    const random = handlerFor(engine());
    await consume(random.declared, lanes, 6, (open) => [open[Math.floor(pick() * open.length)] as number]);
    expectReference(random.produced, expected);
  }, 240_000);

  it('refuses bad requests with their reason and enriches the good one beside them', async () => {
    const { declared, produced } = handlerFor(engine(3));
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
    declared.onFetch([{ topic: REQUESTS, partition: 0, highWatermark: '7', nextOffset: '7', delivered: true }], {
      startedAt: 0,
      returnedAt: 0,
    });
    const result = await declared.handler(records, { topic: REQUESTS, partition: 0, heartbeat: async () => {} });
    await result.settled;
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
    const { declared, produced } = handlerFor(engine());
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
    const request: RecommendationRequest = {
      request_id: 'r1',
      event_time: t,
      user_id: 'U1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: [],
      candidate_source: 'popular_7d',
      k: 2,
    };
    declared.onAssigned({ [EVENTS]: [0], [REQUESTS]: [0] });
    declared.onFetch(
      [EVENTS, REQUESTS].map((topic) => ({
        topic,
        partition: 0,
        highWatermark: '1',
        nextOffset: '1',
        delivered: true,
      })),
      { startedAt: 0, returnedAt: 0 },
    );
    // both partitions' batches in one fetch: the aligner applies the view, then the request
    const rejected: { error: unknown }[] = [];
    const settled: Promise<unknown>[] = [];
    for (const [topic, value] of [
      [EVENTS, view],
      [REQUESTS, request],
    ] as const) {
      const result = await declared.handler([record(0, value, topic)], {
        topic,
        partition: 0,
        heartbeat: async () => {},
      });
      rejected.push(...(result.rejected ?? []));
      if (result.settled)
        settled.push(result.settled.then((late) => rejected.push(...((late as typeof result).rejected ?? []))));
    }
    await Promise.all(settled);
    expect(rejected.map((r) => (r.error as Error).message)).toEqual([
      'candidate_source popular_7d has no candidates as of 2026-01-05T00:00:00.000Z: no item counted in its window',
    ]);
    expect(produced).toEqual([]);
  });
});
