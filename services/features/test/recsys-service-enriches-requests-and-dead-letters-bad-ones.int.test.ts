import type { ChildProcess } from 'node:child_process';
import { computeRequestReference, type RequestStreamItem, recsysFeatureSet } from '@pipeline/feature-sets';
import { createProducer, type DeadLetter } from '@pipeline/shared';
import { createTopic, servers, uniqueName } from '@pipeline/testing';
import { type EnrichedRequest, type Interaction, type RecommendationRequest, schemaFor } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis.js';
import {
  committed,
  createTopics,
  deletePrefix,
  produceInputs,
  readAll,
  readEnriched,
  serde,
  startService,
  stopService,
  type Topics,
  testKafka,
  topicEnd,
  waitFor,
} from './harness.js';

/**
 * The feature service started with FEATURES_USE_CASES=fraud,recsys (src/main.ts as its own
 * process): interactions applied, each good request enriched on its topic with the candidates'
 * vectors the brute-force definition gives, each bad one dead-lettered with its reason; and in the
 * same process, transactions enriched as ever.
 */

const kafka = testKafka('features-recsys-service-test');
const redis = createRedis(servers());
const prefix = `${uniqueName('recsvc')}:`;
const group = uniqueName('recsys-group');
const T = Date.UTC(2026, 2, 2, 12, 0, 0);
const MIN = 60_000;

const topics = {
  interactions: uniqueName('rs_interactions'),
  requests: uniqueName('rs_requests'),
  enriched: uniqueName('rs_enriched'),
  deadLetters: uniqueName('rs_dlq'),
};

const interaction = (id: string, minutes: number, over: Partial<Interaction>): Interaction => ({
  event_id: id,
  event_time: T + minutes * MIN,
  user_id: 'U1',
  item_id: 'I1',
  category: 'books',
  type: 'VIEW',
  recommendation_id: null,
  position: null,
  price_minor: null,
  ...over,
});
const interactions = [
  interaction('i1', -90, {}),
  interaction('i2', -80, { type: 'CLICK' }),
  interaction('i3', -70, { item_id: 'I2', category: 'toys' }),
  interaction('i4', -60, { user_id: 'U2', item_id: 'I2', category: 'toys' }),
  interaction('i5', -50, { user_id: 'U2', item_id: 'I3', category: 'books', type: 'CLICK' }),
  interaction('i6', -10, { item_id: 'I3', category: 'books' }),
];
const request = (id: string, over: Partial<RecommendationRequest> = {}): RecommendationRequest => ({
  request_id: id,
  event_time: T,
  user_id: 'U1',
  context: { surface: 'home', device: null, current_item_id: null },
  candidate_item_ids: ['I1', 'I2', 'I3', 'I9'],
  candidate_source: null,
  k: 2,
  ...over,
});
const good = [request('r1'), request('r2', { user_id: 'U2', event_time: T + MIN, candidate_item_ids: ['I3', 'I1'] })];
const bad: [RecommendationRequest, RegExp][] = [
  [request('b1', { candidate_item_ids: [] }), /^no candidate_item_ids and no candidate_source$/],
  [
    request('b2', { candidate_item_ids: ['I1', 'I2', 'I3', 'I4', 'I5', 'I6'] }),
    /^6 candidates, more than FEATURES_MAX_CANDIDATES \(5\)$/,
  ],
  [request('b3', { candidate_item_ids: ['I{1}'] }), /^invalid candidate_item_ids\[0\]/],
  [
    request('b4', { candidate_item_ids: [], candidate_source: 'trending' }),
    /^candidate_source "trending" is not served/,
  ],
  [request('b5', { event_time: Date.now() + 3 * 86_400_000 }), /in the future/],
];

let child: ChildProcess;
let fraud: Topics;
const fraudGroup = uniqueName('fraud-group');
const transaction = {
  event_id: 't1',
  event_time: T,
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 1000,
  currency: 'EUR',
  channel: 'POS' as const,
  country: 'FR',
  device_hash: null,
  ip_hash: null,
};

async function produce(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  for (const name of Object.values(topics)) await createTopic(kafka, name);
  fraud = await createTopics(kafka, 'rsf');
  const s = serde();
  const interactionEnc = await s.encoder<Interaction>(
    `${topics.interactions}-value`,
    schemaFor('recsys/interaction').type,
  );
  const requestEnc = await s.encoder<RecommendationRequest>(
    `${topics.requests}-value`,
    schemaFor('recsys/recommendation-request').type,
  );
  child = startService(
    { ...fraud, deadLetters: topics.deadLetters },
    {
      group: fraudGroup,
      prefix,
      env: {
        FEATURES_USE_CASES: 'fraud,recsys',
        FEATURES_RECSYS_GROUP_ID: group,
        FEATURES_INTERACTIONS_TOPIC: topics.interactions,
        FEATURES_REQUESTS_TOPIC: topics.requests,
        FEATURES_ENRICHED_REQUESTS_TOPIC: topics.enriched,
        FEATURES_MAX_CANDIDATES: '5',
      },
    },
  );
  await produce(
    topics.interactions,
    interactions.map((i) => ({ key: i.user_id, value: interactionEnc.encode(i) })),
  );
  // the interactions first: the requests' arrival position is after them all
  await waitFor(
    'interactions consumed',
    async () => (await committed(kafka, group, topics.interactions)) >= interactions.length,
    60_000,
  );
  const requests = [good[0], ...bad.map(([r]) => r), good[1]] as RecommendationRequest[];
  await produce(topics.requests, [
    ...requests.map((r) => ({ key: r.user_id, value: requestEnc.encode(r) })),
    // not Avro at all
    { key: 'U1', value: Buffer.from('not a request') },
  ]);
  await produceInputs(kafka, fraud, [transaction], []);
  await waitFor(
    'transactions consumed',
    async () => (await committed(kafka, fraudGroup, fraud.transactions)) >= 1,
    60_000,
  );
  await waitFor(
    'requests consumed',
    async () => (await committed(kafka, group, topics.requests)) >= requests.length + 1,
    60_000,
  );
}, 120_000);

afterAll(async () => {
  if (child) await stopService(child);
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe('the feature service serving recommendations', () => {
  it('enriches good requests with the reference vectors and dead-letters bad ones with the reason', async () => {
    const enriched = await readAll<EnrichedRequest>(kafka, topics.enriched, 'recsys/enriched-request');
    const stream: RequestStreamItem[] = [
      ...interactions.map((value) => ({ kind: 'interaction' as const, value })),
      ...good.map((value) => ({ kind: 'request' as const, value })),
    ];
    const expected = computeRequestReference(recsysFeatureSet, stream);
    expect(enriched.map((e) => e.request.request_id)).toEqual(['r1', 'r2']);
    enriched.forEach((e, n) => {
      const want = expected[n];
      expect(e.features.candidates.map((c) => c.category)).toEqual(
        want?.probes.map((p) => (p as unknown as Interaction).category),
      );
      expect(e.features.candidates.map((c) => c.values)).toEqual(want?.vectors);
    });
    expect(enriched[0]?.features.candidates.map((c) => c.category)).toEqual(['books', 'toys', 'books', '-']);
    // U1 viewed I1 once and clicked it once before r1
    const r1 = enriched[0]?.features.candidates[0]?.values ?? [];
    expect(r1[recsysFeatureSet.index('user_views_count_1d')]).toBe(3);
    expect(r1[recsysFeatureSet.index('item_clicks_count_1d')]).toBe(1);

    const letters = (await readAll<DeadLetter>(kafka, topics.deadLetters, 'pipeline/dead-letter')).sort(
      (a, b) => a.offset - b.offset,
    );
    expect(letters.every((l) => l.topic === topics.requests)).toBe(true);
    expect(letters.map((l) => l.offset)).toEqual([1, 2, 3, 4, 5, 7]);
    for (const [i, [, reason]] of bad.entries()) expect(letters[i]?.error).toMatch(reason);
    expect(letters[5]?.error_type).not.toBe('BadInputError');
    expect(await topicEnd(kafka, topics.enriched)).toBe(2);
  });

  it('enriches transactions in the same process, its fraud consumers beside the recsys one', async () => {
    const enriched = await readEnriched(kafka, fraud.enriched);
    expect(enriched.map((e) => [e.transaction.event_id, e.features.feature_set])).toEqual([['t1', 'fraud_core']]);
  });
});
