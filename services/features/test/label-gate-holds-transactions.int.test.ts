import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  type BatchHandler,
  type ConsumedRecord,
  createProducer,
  type LateRejections,
  type Logger,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type EnrichedTransaction, type Label, schemaFor, type Transaction } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.js';
import { createLabelsHandler, createTransactionsHandler } from '../src/handler.js';
import { labelProgressKey } from '../src/keys.js';
import { createLabelGate } from '../src/label-gate.js';
import { labelSource } from '../src/label-progress.js';
import { compilePlan } from '../src/plan.js';
import { createRedis } from '../src/redis.js';
import { deletePrefix, readEnriched, serde } from './harness.js';
import { simInputs } from './sim-inputs.js';

const LATENESS = 5 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const kafka = testKafka('features-label-gate-test');
const redis = createRedis(servers());
const admin = kafka.admin();
const producer = createProducer(kafka);
const prefix = `${uniqueName('gate')}:`;
const labelsTopic = uniqueName('gate-labels');
const enrichedTopic = uniqueName('gate-enriched');
const labelsGroup = uniqueName('gate-group.labels');
const progressKey = labelProgressKey(prefix, labelsGroup, labelsTopic);
const engine: Engine = {
  set: fraudFeatureSet,
  plan: compilePlan(fraudFeatureSet, LATENESS),
  prefix,
  rules: { maxAmountMinor: 100_000_000, maxFutureMs: HOUR, allowedLatenessMs: LATENESS },
};

const template = simInputs(3, 50, 1).txs[0] as Transaction;
const t0 = template.event_time;
const tx = (id: string, at: number): Transaction => ({
  ...template,
  event_id: id,
  event_time: at,
  customer_id: 'C-gate',
  terminal_id: 'T-gate',
});
const fraudLabel = (transaction: Transaction, at: number): Label => ({
  transaction_id: transaction.event_id,
  customer_id: transaction.customer_id,
  terminal_id: transaction.terminal_id,
  is_fraud: true,
  label_time: at,
  transaction_time: transaction.event_time,
});
const record = <T>(topic: string, offset: number, value: T): ConsumedRecord<T> => ({
  topic,
  partition: 0,
  offset: String(offset),
  key: null,
  value,
  headers: {},
  timestamp: 0,
});
const context = (topic: string) => ({ topic, partition: 0, heartbeat: async () => {} });

const warnings: string[] = [];
const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as unknown as Logger;

async function transactionsHandler(
  maxWaitMs: number,
  labels = { topic: labelsTopic, group: labelsGroup, key: progressKey },
  offsetsRefreshMs?: number,
) {
  const gate = createLabelGate({
    source: labelSource({ redis, admin, key: labels.key, topic: labels.topic, groupId: labels.group }),
    latenessMs: LATENESS,
    maxWaitMs,
    ...(offsetsRefreshMs === undefined ? {} : { offsetsRefreshMs }),
  });
  return createTransactionsHandler({
    redis,
    engine,
    producer,
    encoder: await serde().encoder<EnrichedTransaction>(
      `${enrichedTopic}-value`,
      schemaFor('fraud/enriched-transaction').type,
    ),
    groupId: uniqueName('gate-group'),
    enrichedTopic,
    labels: gate,
    logger,
    alignMaxWaitMs: 1000,
  }).handler;
}

/** Handles a batch and waits for its output: refusals found at once and on the way. */
async function handled(handle: BatchHandler<Transaction>, records: ConsumedRecord<Transaction>[]) {
  const result = await handle(records, context('tx'));
  const late = (await result?.settled) as LateRejections<Transaction> | undefined;
  return { rejected: [...(result?.rejected ?? []), ...(late?.rejected ?? [])] };
}

/** Puts a label on the labels topic, so the broker's offsets say it is there to be consumed. */
async function publishLabel(label: Label, topic = labelsTopic): Promise<void> {
  const encoder = await serde().encoder<Label>(`${topic}-value`, schemaFor('fraud/label').type);
  await producer.send({ topic, acks: -1, messages: [{ value: encoder.encode(label) }] });
}

const fraudRate1d = (e: EnrichedTransaction | undefined) =>
  e?.features.values[fraudFeatureSet.index('terminal_fraud_rate_1d')];

// A labels topic of its own for the race below, empty at first.
const race = {
  topic: uniqueName('gate-race-labels'),
  group: uniqueName('gate-race-group.labels'),
  key: '',
};
race.key = labelProgressKey(prefix, race.group, race.topic);

beforeAll(async () => {
  await createTopic(kafka, labelsTopic);
  await createTopic(kafka, race.topic);
  await createTopic(kafka, enrichedTopic);
  await admin.connect();
  await producer.connect();
});

afterAll(async () => {
  await deletePrefix(redis, prefix);
  await producer.disconnect();
  await admin.disconnect();
  await redis.quit();
});

describe('the label gate', () => {
  // fraud rates look a week back: earlier and other are what later's windows count
  const earlier = tx('earlier', t0 - 7 * DAY);
  const other = tx('other', t0 - 7 * DAY + HOUR / 2);
  const later = tx('later', t0 + 2 * HOUR);
  const label = fraudLabel(earlier, t0 + HOUR);

  it('holds a transaction batch until the labels before it are applied, then counts them', async () => {
    await publishLabel(label);
    const handle = await transactionsHandler(30_000);
    const labels = createLabelsHandler({ redis, engine, groupId: labelsGroup, progressKey });

    let done = false;
    const batch = [record('tx', 0, earlier), record('tx', 1, other), record('tx', 2, later)];
    const applying = handled(handle, batch).then((result) => {
      done = true;
      return result;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(done).toBe(false); // the label is on the topic, not yet applied

    await labels.handler([record(labelsTopic, 0, label)], context(labelsTopic));
    await labels.onDurable({ topic: labelsTopic, partition: 0, nextOffset: '1', highWatermark: '1' });
    expect(await applying).toEqual({ rejected: [] });

    const out = new Map((await readEnriched(kafka, enrichedTopic)).map((e) => [e.transaction.event_id, e]));
    expect(fraudRate1d(out.get('earlier'))).toBeNaN(); // no transaction a week before it: 0 / 0
    expect(fraudRate1d(out.get('later'))).toBe(0.5); // one fraud label among the two a week before
  });

  it('lets a batch through at once when the labels consumer has read everything there was (live)', async () => {
    const handle = await transactionsHandler(30_000);
    const started = Date.now();
    await handled(handle, [record('tx', 3, tx('live', t0 + 3 * HOUR))]);
    expect(Date.now() - started).toBeLessThan(2_000);
    const out = await readEnriched(kafka, enrichedTopic);
    expect(fraudRate1d(out.find((e) => e.transaction.event_id === 'live'))).toBe(0.5);
  });

  it('goes on after the maximum wait when the labels consumer does not catch up, and says so', async () => {
    // on the topic since the labels consumer's last batch, and never consumed
    await publishLabel(fraudLabel(other, t0 + 4 * HOUR));
    const handle = await transactionsHandler(300);
    const started = Date.now();
    expect(await handled(handle, [record('tx', 4, tx('stuck', t0 + 5 * HOUR))])).toEqual({ rejected: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(warnings).toEqual(['labels not caught up; applying without them']);
    const out = await readEnriched(kafka, enrichedTopic);
    // the unapplied label (of other) is not counted: one fraud among the two a week before
    expect(fraudRate1d(out.find((e) => e.transaction.event_id === 'stuck'))).toBe(0.5);
  });

  it('holds a batch for a label published after the gate last looked, before the batch arrived', async () => {
    // Near live: a lookup finds the labels consumer at the end; a label is published, then a
    // transaction after it. That lookup cannot vouch for the transaction, however recent it is (here
    // it is trusted for a minute, to make the race certain rather than a matter of timing).
    const handle = await transactionsHandler(30_000, race, 60_000);
    const labels = createLabelsHandler({ redis, engine, groupId: race.group, progressKey: race.key });
    const onTerminal = (id: string, at: number) => ({ ...tx(id, at), customer_id: 'C-race', terminal_id: 'T-race' });
    const weekBefore = onTerminal('race-week-before', t0 - 7 * DAY);
    const first = [weekBefore, onTerminal('race-other', t0 - 7 * DAY + HOUR / 2), onTerminal('race-a', t0 + HOUR)];
    const firstBatch = first.map((t, i) => record('tx', i, t));
    expect(await handled(handle, firstBatch)).toEqual({ rejected: [] });

    const label = fraudLabel(weekBefore, t0 + 2 * HOUR);
    await publishLabel(label, race.topic);
    let applied = false;
    const applying = handled(handle, [record('tx', 3, onTerminal('race-b', t0 + 3 * HOUR))]).then((result) => {
      applied = true;
      return result;
    });
    await new Promise((r) => setTimeout(r, 300));
    const appliedBeforeLabel = applied;
    await labels.handler([record(race.topic, 0, label)], context(race.topic));
    await labels.onDurable({ topic: race.topic, partition: 0, nextOffset: '1', highWatermark: '1' });
    expect(await applying).toEqual({ rejected: [] });
    expect(appliedBeforeLabel).toBe(false);

    const out = new Map((await readEnriched(kafka, enrichedTopic)).map((e) => [e.transaction.event_id, e]));
    expect(fraudRate1d(out.get('race-a'))).toBe(0); // the label came after it
    expect(fraudRate1d(out.get('race-b'))).toBe(0.5); // published before it: counted
  });
});
