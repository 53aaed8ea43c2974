import { computeReference, fraudFeatureSet, NO_WATERMARK, type ReferenceEvent } from '@pipeline/feature-sets';
import {
  type BatchHandler,
  createBatchConsumer,
  createLogger,
  createProducer,
  type Kafka,
  type Producer,
} from '@pipeline/shared';
import { createTopic, servers, uniqueName } from '@pipeline/testing';
import {
  createTopicDeadLetters,
  type EnrichedTransaction,
  schemaFor,
  type Transaction,
  valueSubject,
} from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, processLabels } from '../src/engine.js';
import { createFrontier } from '../src/frontier.js';
import { createTransactionsHandler } from '../src/handler.js';
import { frontierKey } from '../src/keys.js';
import type { LabelGate } from '../src/label-gate.js';
import { compilePlan } from '../src/plan.js';
import { createRedis } from '../src/redis.js';
import {
  committed,
  createTopics,
  deletePrefix,
  produceInputs,
  readEnriched,
  serde,
  type Topics,
  testKafka,
  waitFor,
} from './harness.js';
import { simInputs } from './sim-inputs.js';

// Transactions are keyed by customer: each terminal's events come through all four partitions.
const PARTITIONS = 4;
const LATENESS = 5 * 60_000;
const { txs, labels } = simInputs(23, 400, 4);
const kafka: Kafka = testKafka('features-interleaving-test');
const redis = createRedis(servers());
const logger = createLogger('features-interleaving-test', 'error');
const prefixes: string[] = [];
let topics: Topics;
let producer: Producer;

const engineFor = (prefix: string): Engine => ({
  set: fraudFeatureSet,
  plan: compilePlan(fraudFeatureSet, LATENESS, Number.MAX_SAFE_INTEGER),
  prefix,
  rules: { maxAmountMinor: 1e12, maxFutureMs: 3_600_000, allowedLatenessMs: LATENESS },
});

/** Every label is applied before the run starts, so batches need not wait for any. */
const labelsApplied: LabelGate = {
  received: () => 0,
  wait: async () => ({ waitedMs: 0, timedOut: false }),
};

/**
 * Consumes the whole transactions topic into fresh state, the partition `holdBack` (if any) handed
 * to the handler `delayMs` late each time: another interleaving of the same partitions. With
 * `members` > 1, that many consumers of the group split the partitions, as instances of the service.
 */
async function run(
  tag: string,
  holdBack?: { partition: number; delayMs: number },
  members = 1,
  live?: { topic: string; publish: () => Promise<void> },
) {
  const source = live?.topic ?? topics.transactions;
  const prefix = `${uniqueName(tag)}:`;
  prefixes.push(prefix);
  const engine = engineFor(prefix);
  await processLabels(redis, engine, labels, NO_WATERMARK, Date.now());
  const group = uniqueName(`${tag}-group`);
  const enriched = uniqueName(`${tag}-enriched`);
  await createTopic(kafka, enriched);
  const consumers = await Promise.all(
    Array.from({ length: members }, (_, m) =>
      member(`${tag}-${m}`, engine, group, enriched, holdBack, source, live !== undefined),
    ),
  );
  await Promise.all(consumers.map((c) => c.start()));
  try {
    await live?.publish();
    await waitFor(
      `${tag} to commit every transaction`,
      async () => (await committed(kafka, group, source)) >= txs.length,
      90_000,
    );
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
  }
  const out = new Map<string, number[]>();
  for (const e of await readEnriched(kafka, enriched)) out.set(e.transaction.event_id, e.features.values);
  return out;
}

/** One consumer of the group, as one instance of the service runs it. */
async function member(
  name: string,
  engine: Engine,
  group: string,
  enriched: string,
  holdBack: { partition: number; delayMs: number } | undefined,
  source: string,
  confirm: boolean,
) {
  const s = serde();
  const transactions = createTransactionsHandler({
    redis,
    engine,
    producer,
    encoder: await s.encoder<EnrichedTransaction>(valueSubject(enriched), schemaFor('fraud/enriched-transaction').type),
    groupId: group,
    enrichedTopic: enriched,
    labels: labelsApplied,
    logger,
    alignMaxWaitMs: 30_000,
    // As the service runs: a caught-up partition counts once a later fetch confirms it.
    alignConfirm: confirm,
    frontier: {
      shared: createFrontier({
        redis,
        key: frontierKey(engine.prefix, group, source),
        member: name,
        staleMs: 60_000,
      }),
      partitions: PARTITIONS,
    },
  });
  const handler: BatchHandler<Transaction> = async (records, context) => {
    if (context.partition === holdBack?.partition) await new Promise((r) => setTimeout(r, holdBack.delayMs));
    return transactions.handler(records, context);
  };
  return createBatchConsumer<Transaction>({
    kafka,
    groupId: group,
    fromBeginning: true,
    partitionsConsumedConcurrently: PARTITIONS,
    decoders: { [source]: s.decoder<Transaction>(schemaFor('fraud/transaction').type) },
    handler,
    onFetch: transactions.onFetch,
    onAssigned: transactions.onAssigned,
    deadLetters: await createTopicDeadLetters({
      producer,
      serde: s,
      topic: topics.deadLetters,
      service: 'features-interleaving-test',
    }),
    logger,
  });
}

beforeAll(async () => {
  topics = await createTopics(kafka, 'interleave');
  // a topic of four partitions in place of the one-partition transactions topic
  topics.transactions = uniqueName('interleave_tx4');
  await createTopic(kafka, topics.transactions, PARTITIONS);
  producer = createProducer(kafka);
  await producer.connect();
  await produceInputs(kafka, topics, txs, []);
});

afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  await producer.disconnect();
  await redis.quit();
});

/** The transactions in event-time order, a few at a time with pauses, as a live producer sends them. */
async function publishLive(topic: string): Promise<void> {
  const encoder = await serde().encoder<Transaction>(valueSubject(topic), schemaFor('fraud/transaction').type);
  const ordered = [...txs].sort((a, b) => a.event_time - b.event_time);
  for (let i = 0; i < ordered.length; i += 8) {
    const messages = ordered.slice(i, i + 8).map((t) => ({ key: t.customer_id, value: encoder.encode(t) }));
    await producer.send({ topic, acks: -1, messages });
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('transactions of several partitions', () => {
  it('give the same terminal features whichever partition is read late, equal to the reference', async () => {
    const even = await run('even');
    const late0 = await run('late0', { partition: 0, delayMs: 2000 });
    const late3 = await run('late3', { partition: 3, delayMs: 2000 });
    // two instances, each merging its own partitions, held back on each other's through Redis
    const split = await run('split', { partition: 1, delayMs: 2000 }, 2);
    // published while consumed, in event-time order, as live traffic
    const liveTopic = uniqueName('interleave_live');
    await createTopic(kafka, liveTopic, PARTITIONS);
    const live = await run('live', { partition: 2, delayMs: 50 }, 1, {
      topic: liveTopic,
      publish: () => publishLive(liveTopic),
    });
    expect(even.size).toBe(txs.length);

    const events: ReferenceEvent[] = [
      ...labels.map((value) => ({ kind: 'label' as const, value })),
      ...txs.map((value) => ({ kind: 'transaction' as const, value })),
    ];
    for (const r of computeReference(fraudFeatureSet, events, { allowedLatenessMs: LATENESS })) {
      if (r.status !== 'ok') throw new Error(`${r.event_id} is late in the reference`);
      expect(even.get(r.event_id), r.event_id).toEqual(r.values);
      expect(late0.get(r.event_id), r.event_id).toEqual(r.values);
      expect(late3.get(r.event_id), r.event_id).toEqual(r.values);
      expect(split.get(r.event_id), r.event_id).toEqual(r.values);
      expect(live.get(r.event_id), r.event_id).toEqual(r.values);
    }
    // terminals really are fed by several partitions, with history to count
    const count1d = fraudFeatureSet.index('terminal_transaction_count_1d');
    expect([...even.values()].filter((v) => (v[count1d] ?? 0) > 2).length).toBeGreaterThan(txs.length / 2);
  }, 240_000);
});
