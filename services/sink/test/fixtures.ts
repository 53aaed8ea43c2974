import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimEvent, simulate } from '@pipeline/loadtest';
import {
  type ClickHouseClient,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  createTokenizer,
  type DeadLetter,
  identifier,
  type Kafka,
  migrate,
  type Producer,
  parseKeyRing,
  sql,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import type { Action, Decision, EnrichedTransaction, Label, Score } from '@pipeline/topology';
import { fraudTopics, schemaFor, valueSubject } from '@pipeline/topology';
import { createSink, type Sink, type SinkTopics } from '../src/sink.js';
import { type SinkUseCase, type StoredTopic, storedTopics, USE_CASE_STREAMS } from '../src/streams.js';

/**
 * What the upstream services would publish for simulated transactions: the scorer and the decision
 * service are stood in for by deterministic functions of the event id, so the test knows every
 * figure the views must return.
 */
export interface Events {
  enriched: EnrichedTransaction[];
  scores: Score[];
  decisions: Decision[];
  labels: Label[];
}

/** The key ring the test sinks tokenize with. */
export const TEST_TOKENS = createTokenizer(parseKeyRing(`t1:${'sink-test-secret-'.repeat(2)}`));

export const CHAMPION = { model_name: 'gbt', model_version: '3' };
export const SHADOW = { model_name: 'gbt', model_version: '4-shadow' };

/** A number in [0, 1) from a string, stable across runs. */
function unit(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

/**
 * `days` simulated days from `startTime` with a high fraud rate, and the labels whose label_time is
 * before `labelsUntil` (frauds are known after days, genuine transactions after about a month).
 */
export function simulatedEvents(options: {
  seed: number;
  customers: number;
  days: number;
  startTime: number;
  labelsUntil: number;
}): Events {
  const events: Events = { enriched: [], scores: [], decisions: [], labels: [] };
  const sim = simulate({
    seed: options.seed,
    customers: options.customers,
    terminals: options.customers * 2,
    days: options.days,
    startTime: options.startTime,
    fraudRate: 0.05,
  });
  for (const event of sim as Iterable<SimEvent>) {
    if (event.kind === 'label') {
      if (event.time <= options.labelsUntil) events.labels.push(event.value);
      continue;
    }
    const t = event.value;
    const fraud = event.scenario !== null;
    const at = t.event_time + 20;
    events.enriched.push({
      transaction: t,
      features: {
        feature_set: 'fraud_core',
        version: 1,
        values: [t.amount_minor / 100, unit(`${t.event_id}f`), unit(t.event_id) < 0.1 ? Number.NaN : 1],
      },
      computed_at: at,
    });
    const champion = Math.min(0.999, unit(`${t.event_id}c`) * 0.7 + (fraud ? 0.3 : 0));
    const shadow = Math.min(0.999, unit(`${t.event_id}s`) * 0.6 + (fraud ? 0.4 : 0));
    for (const [model, score, isShadow] of [
      [CHAMPION, champion, false],
      [SHADOW, shadow, true],
    ] as const) {
      events.scores.push({
        event_id: t.event_id,
        customer_id: t.customer_id,
        event_time: t.event_time,
        ...model,
        feature_set_version: 1,
        score,
        shadow: isShadow,
        latency_ms: 1.5,
        scored_at: at + 5,
        contributions: [{ feature: 'amount', value: score / 2 }],
      });
    }
    const rulesOnly = unit(`${t.event_id}r`) < 0.1;
    const action: Action = champion >= 0.8 ? 'DECLINE' : champion >= 0.6 ? 'REVIEW' : 'APPROVE';
    events.decisions.push({
      event_id: t.event_id,
      customer_id: t.customer_id,
      event_time: t.event_time,
      action: rulesOnly ? (t.amount_minor > 100_000 ? 'DECLINE' : 'APPROVE') : action,
      reason_codes: rulesOnly ? ['RULE:fallback'] : [`SCORE_BAND:${action.toLowerCase()}`, 'TOP:amount'],
      score: rulesOnly ? null : champion,
      path: rulesOnly ? 'RULES_ONLY' : 'MODEL_AND_RULES',
      rule_set_version: 'rules-2',
      model_name: rulesOnly ? null : CHAMPION.model_name,
      model_version: rulesOnly ? null : CHAMPION.model_version,
      feature_set_version: 1,
      experiment_variant: unit(t.customer_id) < 0.5 ? 'control' : 'treatment',
      decided_at: at + 10,
    });
  }
  return events;
}

/** The sink's topics and the fraud labels topic, all the test's own. */
export type HarnessTopics = SinkTopics & { labels: string };

/** Unique topics, group and database for one test, with the producer and encoders to fill them. */
export interface Harness {
  kafka: Kafka;
  producer: Producer;
  topics: HarnessTopics;
  /** The use cases' topics the test's sinks store, under the test's own names. */
  stored: readonly StoredTopic[];
  /** The test's name of a topology topic (`recsys.labels` → its unique topic). */
  topicOf(topologyName: string): string;
  /** Values onto the test's topic for a topology topic, encoded with its declared schema. */
  publishTo<T>(topologyName: string, values: readonly T[], key: (value: T) => string): Promise<void>;
  database: string;
  /** On the test's database, straight to the real server (never through a proxy). */
  clickhouse: ClickHouseClient;
  publish(events: Partial<Events>): Promise<void>;
  /** Dead letters as another service would publish them, and raw bytes (garbage) on the same topic. */
  publishDeadLetters(letters: readonly DeadLetter[], garbage?: readonly Buffer[]): Promise<void>;
  /** Encodes an enriched transaction as it travels on the enriched topic (a dead letter's original bytes). */
  encodeEnriched(value: EnrichedTransaction): Buffer;
  startSink(options?: { url?: string; batchSize?: number; flushIntervalMs?: number; groupId?: string }): Promise<Sink>;
  /** Sum over partitions of the offsets `groupId` committed on `topic`. */
  committed(groupId: string, topic: string): Promise<number>;
  /** Messages on the test's dead-letter topic. */
  deadLetterCount(): Promise<number>;
  /** Rows per table after deduplication. */
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function harness(partitions = 2, useCases: readonly SinkUseCase[] = ['fraud']): Promise<Harness> {
  const kafka = testKafka(uniqueName('sink-test'));
  const deadLetters = uniqueName('dead_letters');
  // As in production: the sink reads the topic it writes its own refusals to.
  const topics: HarnessTopics = {
    enriched: uniqueName('enriched'),
    scores: uniqueName('scores'),
    decisions: uniqueName('decisions'),
    labels: uniqueName('labels'),
    audit: uniqueName('audit'),
    deadLetters,
    deadLettersIn: deadLetters,
    transactions: uniqueName('transactions'),
  };
  const renamed: Record<string, string> = {
    [fraudTopics.enriched.name]: topics.enriched,
    [fraudTopics.scores.name]: topics.scores,
    [fraudTopics.decisions.name]: topics.decisions,
    [fraudTopics.labels.name]: topics.labels,
  };
  for (const useCase of useCases) {
    for (const s of USE_CASE_STREAMS[useCase]) renamed[s.topic.name] ??= uniqueName(s.topic.name.replace('.', '_'));
  }
  const stored = storedTopics(useCases, renamed);
  const topicOf = (name: string) => {
    const found = renamed[name];
    if (!found) throw new Error(`the harness has no topic for ${name}`);
    return found;
  };
  for (const topic of new Set([...Object.values(topics), ...Object.values(renamed)])) {
    await createTopic(kafka, topic, partitions);
  }
  const database = uniqueName('sink');
  const url = servers().CLICKHOUSE_URL;
  const logger = createLogger('sink-test', 'silent');
  await migrate({ url: servers(), database, logger });
  const clickhouse = createClickHouse(servers(), database);
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const encoders = {
    enriched: await serde.encoder<EnrichedTransaction>(
      valueSubject(topics.enriched),
      schemaFor('fraud/enriched-transaction').type,
    ),
    scores: await serde.encoder<Score>(valueSubject(topics.scores), schemaFor('fraud/score').type),
    decisions: await serde.encoder<Decision>(valueSubject(topics.decisions), schemaFor('fraud/decision').type),
    labels: await serde.encoder<Label>(valueSubject(topics.labels), schemaFor('fraud/label').type),
    deadLetters: await serde.encoder<DeadLetter>(
      valueSubject(topics.deadLetters),
      schemaFor('pipeline/dead-letter').type,
    ),
  };
  const producer = createProducer(kafka);
  await producer.connect();
  const sinks: Sink[] = [];
  const clients: ClickHouseClient[] = [clickhouse];

  async function send<T>(topic: string, encode: (v: T) => Buffer, key: (v: T) => string, values: T[] = []) {
    for (let i = 0; i < values.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 500).map((v) => ({ key: key(v), value: encode(v) })),
      });
    }
  }

  return {
    kafka,
    producer,
    topics,
    stored,
    topicOf,
    async publishTo(name, values, key) {
      const declared = stored.find((s) => s.stream.topic.name === name)?.stream.topic;
      if (!declared) throw new Error(`the harness's sinks store no ${name}`);
      const encoder = await serde.encoder<(typeof values)[number]>(
        valueSubject(topicOf(name)),
        schemaFor(declared.valueSchema).type,
      );
      await send(topicOf(name), (v) => encoder.encode(v), key, [...values]);
    },
    database,
    clickhouse,
    async publish(events) {
      await send(
        topics.enriched,
        (v) => encoders.enriched.encode(v),
        (v) => v.transaction.customer_id,
        events.enriched,
      );
      await send(
        topics.scores,
        (v) => encoders.scores.encode(v),
        (v) => v.customer_id,
        events.scores,
      );
      await send(
        topics.decisions,
        (v) => encoders.decisions.encode(v),
        (v) => v.customer_id,
        events.decisions,
      );
      await send(
        topics.labels,
        (v) => encoders.labels.encode(v),
        (v) => v.customer_id,
        events.labels,
      );
    },
    async publishDeadLetters(letters, garbage = []) {
      await send(
        topics.deadLetters,
        (v) => encoders.deadLetters.encode(v),
        (v) => v.topic,
        [...letters],
      );
      if (garbage.length > 0) {
        await producer.send({ topic: topics.deadLetters, acks: -1, messages: garbage.map((value) => ({ value })) });
      }
    },
    encodeEnriched: (value) => encoders.enriched.encode(value),
    async startSink(options = {}) {
      const client = createClickHouse(
        { CLICKHOUSE_URL: options.url ?? url, CLICKHOUSE_TLS_CA: servers().CLICKHOUSE_TLS_CA },
        database,
      );
      clients.push(client);
      const sink = await createSink({
        kafka,
        producer,
        serde,
        clickhouse: client,
        topics,
        stored,
        groupId: options.groupId ?? uniqueName('sink-group'),
        serviceName: 'sink-test',
        batchSize: options.batchSize ?? 200,
        flushIntervalMs: options.flushIntervalMs ?? 200,
        maxBackoffMs: 1_000,
        partitionsConsumedConcurrently: 8,
        tokenizer: TEST_TOKENS,
        logger,
      });
      await sink.start();
      sinks.push(sink);
      return sink;
    },
    async committed(groupId, topic) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      } finally {
        await admin.disconnect();
      }
    },
    async deadLetterCount() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topics.deadLetters);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0);
      } finally {
        await admin.disconnect();
      }
    },
    async count(table) {
      const result = await clickhouse.query({
        query: sql`SELECT count() AS n FROM ${identifier(table)} FINAL`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: string }>();
      return Number(row?.n ?? 0);
    },
    async close() {
      for (const sink of sinks) await sink.stop(2_000).catch(() => {});
      await producer.disconnect();
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      for (const client of clients) await client.close();
    },
  };
}

/** Polls `read` until it returns `expected` or the deadline passes; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await read();
  }
  return last;
}

const analyticsDoc = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'analytics.md');

/** The ```sql blocks of docs/analytics.md, by the name on their first line (`-- query: name`). */
export function documentedQueries(): Map<string, string> {
  const queries = new Map<string, string>();
  for (const match of readFileSync(analyticsDoc, 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)) {
    const text = match[1] as string;
    const name = /^-- query: (\S+)/.exec(text)?.[1];
    if (!name) throw new Error(`a sql block in docs/analytics.md has no '-- query: name' line:\n${text}`);
    queries.set(name, text);
  }
  return queries;
}
