import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
import type { Kafka } from '@pipeline/shared';
import { createTopic, servers, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis.js';
import {
  committed,
  createTopics,
  deletePrefix,
  produceInputs,
  readEnriched,
  startService,
  stopService,
  type Topics,
  testKafka,
  waitFor,
} from './harness.js';
import { simInputs } from './sim-inputs.js';

// Two instances split the four partitions; each terminal's events come through all of them.
const PARTITIONS = 4;
const { txs, labels } = simInputs(31, 400, 9);
const kafka: Kafka = testKafka('features-killed-instance-test');
const redis = createRedis(servers());
const prefix = `${uniqueName('killed')}:`;
let topics: Topics;

async function members(group: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0];
    return g?.state === 'Stable' ? g.members.length : 0;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  topics = await createTopics(kafka, 'killed');
  topics.transactions = uniqueName('killed_tx4');
  await createTopic(kafka, topics.transactions, PARTITIONS);
});

afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe('an instance SIGKILLed while the other holds records back for its partitions', () => {
  it('leaves every vector equal to the reference: nothing is applied ahead of the partitions it held', async () => {
    const group = uniqueName('killed-group');
    // The killed member's partitions move after its session times out.
    const env = { KAFKA_SESSION_TIMEOUT: '6s', KAFKA_HEARTBEAT_INTERVAL: '2s' };
    const victim = startService(topics, { group, prefix, env });
    const survivor = startService(topics, { group, prefix, env });
    try {
      await waitFor('both instances in the group', async () => (await members(group)) === 2, 60_000);
      await produceInputs(kafka, topics, txs, labels);
      await waitFor(
        'some progress',
        async () => (await committed(kafka, group, topics.transactions)) > txs.length / 5,
        60_000,
        20,
      );
      await stopService(victim, 'SIGKILL');
      expect(await committed(kafka, group, topics.transactions)).toBeLessThan(txs.length); // mid-stream
      await waitFor(
        'the survivor to commit every transaction',
        async () => (await committed(kafka, group, topics.transactions)) >= txs.length,
        90_000,
      );
    } finally {
      await stopService(victim, 'SIGKILL');
      await stopService(survivor);
    }

    const logged = new Map<string, number[]>();
    for (const e of await readEnriched(kafka, topics.enriched)) {
      const seen = logged.get(e.transaction.event_id);
      // an event redelivered after the kill comes out with the very same vector
      if (seen) expect(e.features.values, e.transaction.event_id).toEqual(seen);
      logged.set(e.transaction.event_id, e.features.values);
    }
    expect(logged.size).toBe(txs.length);
    const events: ReferenceEvent[] = [
      ...labels.map((value) => ({ kind: 'label' as const, value })),
      ...txs.map((value) => ({ kind: 'transaction' as const, value })),
    ];
    for (const r of computeReference(fraudFeatureSet, events, { allowedLatenessMs: 5 * 60_000 })) {
      if (r.status !== 'ok') throw new Error(`${r.event_id} is late in the reference`);
      expect(logged.get(r.event_id), r.event_id).toEqual(r.values);
    }
    const count1d = fraudFeatureSet.index('terminal_transaction_count_1d');
    expect([...logged.values()].filter((v) => (v[count1d] ?? 0) > 2).length).toBeGreaterThan(txs.length / 2);
  }, 240_000);
});
