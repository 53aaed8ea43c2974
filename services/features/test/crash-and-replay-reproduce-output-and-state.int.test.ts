import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import type { Kafka } from '@pipeline/shared';
import { createTopic, servers, uniqueName } from '@pipeline/testing';
import type { EnrichedTransaction } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis.js';
import {
  committed,
  createTopics,
  deletePrefix,
  dumpState,
  produceInputs,
  readEnriched,
  startService,
  stopService,
  type Topics,
  testKafka,
  topicEnd,
  waitFor,
} from './harness.js';
import { simInputs } from './sim-inputs.js';

// Labels are produced after every transaction, so without the label gate the transactions
// consumer would run ahead of them; with it, a fraud label counts by its label time.
// Nine days, so the fraud rates (a week back) have transactions and labels to count.
const { txs, labels } = simInputs(11, 300, 9);
const kafka: Kafka = testKafka('features-crash-test');
const redis = createRedis(servers());
const prefixes: string[] = [];
let topics: Topics;

/** Runs the service over the whole input, uninterrupted; returns vectors by event id and the state. */
async function cleanRun(tag: string) {
  const prefix = `${uniqueName(tag)}:`;
  prefixes.push(prefix);
  const group = uniqueName(`${tag}-group`);
  const enriched = uniqueName(`${tag}-enriched`);
  await createTopic(kafka, enriched);
  const child = startService(topics, { group, prefix, enriched });
  try {
    await waitFor(
      'clean run to commit every transaction',
      async () => (await committed(kafka, group, topics.transactions)) >= txs.length,
      80_000,
    );
  } finally {
    await stopService(child);
  }
  return { prefix, enriched };
}

const byId = (events: EnrichedTransaction[]) => {
  const out = new Map<string, number[]>();
  for (const e of events) {
    const seen = out.get(e.transaction.event_id);
    // a redelivered event must come out with the very same vector
    if (seen) expect(e.features.values).toEqual(seen);
    out.set(e.transaction.event_id, e.features.values);
  }
  return out;
};

beforeAll(async () => {
  topics = await createTopics(kafka, 'feat');
  await produceInputs(kafka, topics, txs, labels);
});

afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await redis.quit();
});

describe('exactly-once effect and replay', () => {
  let reference: { prefix: string; enriched: string };

  it('a SIGKILL mid-stream and a restart leave output and Redis state as an uninterrupted run', async () => {
    reference = await cleanRun('clean');

    const prefix = `${uniqueName('crash')}:`;
    prefixes.push(prefix);
    const group = uniqueName('crash-group');
    const enriched = uniqueName('crash-enriched');
    await createTopic(kafka, enriched);
    const first = startService(topics, { group, prefix, enriched });
    await waitFor('some enriched output', async () => (await topicEnd(kafka, enriched)) > 0, 60_000, 20);
    await stopService(first, 'SIGKILL');
    const before = await committed(kafka, group, topics.transactions);
    expect(before).toBeLessThan(txs.length); // the kill really was mid-stream

    const second = startService(topics, { group, prefix, enriched });
    try {
      await waitFor(
        'restarted run to commit everything',
        async () => (await committed(kafka, group, topics.transactions)) >= txs.length,
        80_000,
      );
    } finally {
      await stopService(second);
    }

    const clean = byId(await readEnriched(kafka, reference.enriched));
    const crashed = byId(await readEnriched(kafka, enriched));
    expect(clean.size).toBe(txs.length);
    expect(crashed.size).toBe(txs.length);
    for (const [id, values] of clean) expect(crashed.get(id), id).toEqual(values);
    // vectors are not trivially empty
    const count7d = fraudFeatureSet.index('customer_amount_count_7d');
    expect([...clean.values()].some((v) => (v[count7d] ?? 0) > 3)).toBe(true);
    const distinct = fraudFeatureSet.index('customer_terminal_distinct_7d');
    expect([...clean.values()].some((v) => (v[distinct] ?? 0) > 1)).toBe(true);
    const fraud7d = fraudFeatureSet.index('terminal_fraud_rate_7d');
    expect([...clean.values()].filter((v) => (v[fraud7d] ?? 0) > 0).length).toBeGreaterThan(100);
    // and they are the event-time definition: every label (not late) counts from its label time
    const events: ReferenceEvent[] = [
      ...labels.map((value) => ({ kind: 'label' as const, value })),
      ...txs.map((value) => ({ kind: 'transaction' as const, value })),
    ];
    for (const r of computeReference(fraudFeatureSet, events, { allowedLatenessMs: 5 * 60_000 })) {
      expect(r.status, r.event_id).toBe('ok');
      if (r.status === 'ok') expect(clean.get(r.event_id), r.event_id).toEqual(r.values);
    }

    expect(await dumpState(redis, prefix)).toEqual(await dumpState(redis, reference.prefix));
  }, 150_000);

  it('reprocessing the topic from the start into fresh state reproduces every vector', async () => {
    const replay = await cleanRun('replay');
    const a = byId(await readEnriched(kafka, reference.enriched));
    const b = byId(await readEnriched(kafka, replay.enriched));
    expect(b.size).toBe(a.size);
    for (const [id, values] of a) expect(b.get(id), id).toEqual(values);
    expect(await dumpState(redis, replay.prefix)).toEqual(await dumpState(redis, reference.prefix));
  }, 100_000);
});
