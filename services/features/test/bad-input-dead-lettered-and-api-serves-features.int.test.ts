import type { ChildProcess } from 'node:child_process';
import { freePort } from '@pipeline/e2e/src/processes/service-process.js';
import { fraudFeatureSet, WATERMARK_RANK } from '@pipeline/feature-sets';
import { type DeadLetter, MAX_ORIGINAL_BYTES, readIngestTime } from '@pipeline/shared';
import { bearer, readMessages, servers, uniqueName } from '@pipeline/testing';
import type { Label, Transaction } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsGroupOf } from '../src/config.js';
import { createRedis } from '../src/redis.js';
import {
  committed,
  createTopics,
  deletePrefix,
  principals,
  produceInputs,
  readAll,
  readEnriched,
  startService,
  stopService,
  type Topics,
  testKafka,
  waitFor,
} from './harness.js';

const kafka = testKafka('features-bad-input-test');
const redis = createRedis(servers());
const prefix = `${uniqueName('bad')}:`;
const T = Date.UTC(2026, 2, 2, 12, 0, 0);

const tx = (id: string, over: Partial<Transaction> = {}): Transaction => ({
  event_id: id,
  event_time: T,
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 1000,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
  ...over,
});

const bad: [Transaction, RegExp][] = [
  [tx(''), /missing event_id/],
  [tx('b2', { customer_id: '' }), /missing customer_id/],
  [tx('b3', { terminal_id: '   ' }), /missing terminal_id/],
  [tx('b4', { customer_id: 'C{1}' }), /invalid customer_id/],
  [tx('b5', { amount_minor: -5 }), /negative amount_minor/],
  [tx('b6', { amount_minor: 1_000_000_000_000 }), /absurd amount_minor/],
  [tx('b7', { event_time: Date.now() + 3 * 86_400_000 }), /in the future/],
  [tx('b8', { event_time: T - 10 * 60_000 }), /late event/],
  [tx('b9', { currency: 'EURO' }), /invalid currency "EURO"/],
  [tx('b10', { country: 'PRT' }), /invalid country "PRT"/],
  [tx('b11', { ip_hash: '10.0.0.1 ' }), /invalid ip_hash/],
  // Far more than a dead letter keeps: it keeps the first bytes and says how many there were.
  [tx('b12', { device_hash: 'd'.repeat(300_000) }), /invalid device_hash "d{40}…" \(300000 characters\)/],
];
const DAY = 86_400_000;
// A week before g3 (its fraud rates look 7 days back): o1 and o2 on T1, another customer's.
const old = [
  tx('o1', { event_time: T - 7 * DAY - 12 * 3_600_000, customer_id: 'C0' }),
  tx('o2', { event_time: T - 7 * DAY - 6 * 3_600_000, customer_id: 'C0' }),
];
const good = [tx('g1', { event_time: T - 60_000 }), tx('g2'), tx('g3', { event_time: T + 1000, amount_minor: 3000 })];
// Another customer's traffic, so the partition has a watermark (WATERMARK_RANK times) before g1.
const warmup = Array.from({ length: WATERMARK_RANK }, (_, i) =>
  tx(`w${i}`, { customer_id: 'C9', terminal_id: 'T9', event_time: T - 61_000 - i * 1000 }),
);
// o1, o2, the warm-up, g1, g2 (watermark T - 74 s), the bad ones (b8 is 10 min behind, lateness
// 5 min), then g3
const txs = [...old, ...warmup, good[0], good[1], ...bad.map(([t]) => t), good[2]] as Transaction[];
const first = old.length + warmup.length + 2;
const label = (id: string, over: Partial<Label>): Label => ({
  transaction_id: id,
  customer_id: 'C0',
  terminal_id: 'T1',
  is_fraud: true,
  label_time: T - 30_000,
  transaction_time: old.find((o) => o.event_id === id)?.event_time ?? T,
  ...over,
});
const labels: Label[] = [
  label('', { label_time: T }),
  label('o1', { label_time: Date.now() + 3 * DAY }),
  label('o1', {}),
  label('o2', { transaction_time: null }),
  label('o2', { transaction_time: T - 1000, label_time: T - 2000 }),
  // known only after g3: its transaction is in g3's window, yet it must not count there
  label('o2', { label_time: T + 2000 }),
];

let topics: Topics;
let child: ChildProcess;
let apiPort: number;
const group = uniqueName('bad-group');

beforeAll(async () => {
  topics = await createTopics(kafka, 'bad');
  await produceInputs(kafka, topics, [], labels);
  apiPort = await freePort();
  child = startService(topics, { group, prefix, apiPort, env: { FEATURES_ALLOWED_LATENESS: '5m' } });
  // labels first, so that g3 sees the fraud label of o1
  await waitFor(
    'labels consumed',
    async () => (await committed(kafka, labelsGroupOf(group), topics.labels)) >= labels.length,
    60_000,
  );
  await produceInputs(kafka, topics, txs, []);
  await waitFor(
    'transactions consumed',
    async () => (await committed(kafka, group, topics.transactions)) >= txs.length,
    60_000,
  );
}, 120_000);

afterAll(async () => {
  if (child) await stopService(child);
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe('bad input goes to the dead-letter topic with its reason; the stream goes on', () => {
  it('dead-letters each kind of bad transaction and label, and enriches the good ones', async () => {
    const letters = await readAll<DeadLetter>(kafka, topics.deadLetters, 'pipeline/dead-letter');
    const fromTx = letters.filter((l) => l.topic === topics.transactions).sort((a, b) => a.offset - b.offset);
    expect(fromTx.map((l) => l.offset)).toEqual(bad.map((_, i) => first + i));
    for (const [i, [, reason]] of bad.entries()) expect(fromTx[i]?.error).toMatch(reason);
    expect(fromTx.find((l) => l.offset === first + 7)?.error_type).toBe('LateEventError');
    const huge = fromTx.at(-1);
    expect(huge?.original_value?.length).toBe(MAX_ORIGINAL_BYTES);
    expect(huge?.original_size).toBeGreaterThan(300_000);
    expect(fromTx.slice(0, -1).every((l) => l.original_size === null)).toBe(true);
    const fromLabels = letters.filter((l) => l.topic === topics.labels).sort((a, b) => a.offset - b.offset);
    expect(fromLabels.map((l) => [l.offset, l.error_type])).toEqual([
      [0, 'BadInputError'],
      [1, 'BadInputError'],
      [3, 'BadInputError'],
      [4, 'BadInputError'],
    ]);
    expect(fromLabels[0]?.error).toMatch(/missing transaction_id/);
    expect(fromLabels[1]?.error).toMatch(/label_time .* in the future/);
    expect(fromLabels[2]?.error).toMatch(/missing transaction_time/);
    expect(fromLabels[3]?.error).toMatch(/transaction_time \d+ is after label_time/);

    const isWarmup = (id: string) => warmup.some((w) => w.event_id === id);
    const enriched = (await readEnriched(kafka, topics.enriched)).filter((e) => !isWarmup(e.transaction.event_id));
    expect(enriched.map((e) => e.transaction.event_id)).toEqual(['o1', 'o2', 'g1', 'g2', 'g3']);
    // Each carries when its transaction entered the pipeline: its timestamp on the transactions topic.
    const [inTx, outEnriched] = await Promise.all([
      readMessages(kafka, topics.transactions, txs.length),
      readMessages(kafka, topics.enriched, warmup.length + 5),
    ]);
    const ingestOf = new Map(inTx.map((m) => [m.offset, m.timestamp]));
    const notWarmup = outEnriched.filter((_, i) => i < old.length || i >= old.length + warmup.length);
    expect(notWarmup.map((m) => readIngestTime(m.headers))).toEqual(
      [0, 1, first - 2, first - 1, txs.length - 1].map((offset) => Number(ingestOf.get(String(offset)))),
    );
    const g3 = enriched[4]?.features.values ?? [];
    expect(g3[fraudFeatureSet.index('customer_amount_count_1h')]).toBe(2);
    expect(g3[fraudFeatureSet.index('customer_amount_sum_1h')]).toBe(2000);
    expect(g3[fraudFeatureSet.index('customer_seconds_since_prev')]).toBe(1);
    // o1's fraud label counts, o2's arrived but is known only after g3: 1 of g3's delayed window's 2
    expect(g3[fraudFeatureSet.index('terminal_fraud_rate_1d')]).toBe(0.5);
    expect(Number.isNaN(enriched[2]?.features.values[fraudFeatureSet.index('customer_seconds_since_prev')])).toBe(true);
  });
});

describe('online read API', () => {
  const get = async (path: string, token: string | null = principals.only.read) => {
    const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, { headers: token ? bearer(token) : {} });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('returns the current values of a customer and a terminal, with the feature-set version', async () => {
    const customer = await get('/features/customer/C1');
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({ entity: 'customer', id: 'C1', feature_set: 'fraud_core', version: 2 });
    const features = customer.body.features as Record<string, number | null>;
    expect(features.customer_amount_count_1h).toBe(3);
    expect(features.customer_amount_max_1d).toBe(3000);
    expect(features.customer_amount_relative_to_mean_30d).toBeNull();
    const terminal = await get('/features/terminal/T1');
    expect(terminal.status).toBe(200);
    expect((terminal.body.features as Record<string, number>).terminal_transaction_count_1d).toBe(3);
  });

  it('refuses a read without a credential (401) or without the read role (403)', async () => {
    expect((await get('/features/customer/C1', null)).status).toBe(401);
    expect(await get('/features/customer/C1', principals.without.read)).toEqual({
      status: 403,
      body: { error: "test-no-read lacks the role 'read'" },
    });
  });

  it('answers 4xx with a reason for an unknown entity type, a bad id and an unknown id', async () => {
    expect(await get('/features/merchant/T1')).toEqual({
      status: 404,
      body: { error: expect.stringMatching(/unknown entity type 'merchant'/) },
    });
    expect((await get('/features/customer/C%7B1%7D')).status).toBe(400);
    expect(await get('/features/customer/nobody')).toEqual({
      status: 404,
      body: { error: "no state for customer 'nobody'" },
    });
  });
});
