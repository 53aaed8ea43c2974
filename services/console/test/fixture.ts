import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  type AvroSerde,
  type ClickHouseClient,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  INGEST_TIME_HEADER,
  identifier,
  type Kafka,
  literal,
  type Producer,
  raw,
  type SqlValue,
  sql,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type Label, schemaFor } from '@pipeline/topology';
import { parseConfig } from '../src/config.js';
import { type RunningConsole, startConsole } from '../src/console.js';

/** Event time of the seeded decisions: a fixed day, so the mix and the queue are known exactly. */
export const DAY = Date.UTC(2026, 0, 10) / 1000;
const HOUR = 3_600;

export interface SeededEvent {
  id: string;
  customer: string;
  terminal: string;
  eventTime: number;
  action: 'APPROVE' | 'REVIEW' | 'DECLINE';
  path: 'MODEL_AND_RULES' | 'RULES_ONLY';
  variant: string;
  score: number | null;
}

export interface ConsoleFixture {
  url: string;
  console: RunningConsole;
  kafka: Kafka;
  serde: AvroSerde;
  clickhouse: ClickHouseClient;
  topics: { transactions: string; enriched: string; scores: string; decisions: string; labels: string };
  lagGroup: string;
  events: SeededEvent[];
  /** Publishes `n` messages on the transactions topic and each hop's topic, stamped with an ingest time. */
  traffic(n: number): Promise<void>;
  /** The labels published on the labels topic so far, decoded. */
  labels(): Promise<Label[]>;
  stop(): Promise<void>;
}

function rows(values: readonly Record<string, SqlValue>[]): { columns: string; values: string } {
  const columns = Object.keys(values[0] ?? {});
  return {
    columns: columns.join(', '),
    values: values.map((v) => `(${columns.map((c) => literal(v[c] as SqlValue)).join(', ')})`).join(', '),
  };
}

async function insert(client: ClickHouseClient, table: string, values: Record<string, SqlValue>[]): Promise<void> {
  const r = rows(values);
  await client.command({ query: sql`INSERT INTO ${identifier(table)} (${raw(r.columns)}) VALUES ${raw(r.values)}` });
}

/** Seeded events: three to review (oldest first: r1, r2, r3), approvals, a rules-only decline. */
export function seededEvents(prefix: string): SeededEvent[] {
  const e = (
    n: string,
    hours: number,
    action: SeededEvent['action'],
    extra: Partial<SeededEvent> = {},
  ): SeededEvent => ({
    id: `${prefix}-${n}`,
    customer: `C${n}`,
    terminal: `T${n}`,
    eventTime: DAY + 12 * HOUR + hours * HOUR,
    action,
    path: 'MODEL_AND_RULES',
    variant: 'control',
    score: action === 'REVIEW' ? 0.75 : 0.1,
    ...extra,
  });
  return [
    e('r2', -2, 'REVIEW'),
    e('r1', -3, 'REVIEW'),
    e('r3', -1, 'REVIEW', { variant: 'strict' }),
    ...[0, 1, 2, 3, 4].map((i) => e(`a${i}`, -i, 'APPROVE', { variant: i % 2 === 0 ? 'control' : 'strict' })),
    e('d1', 0, 'DECLINE', { path: 'RULES_ONLY', score: null }),
  ];
}

async function seed(client: ClickHouseClient, events: SeededEvent[]): Promise<void> {
  const decidedMs = (e: SeededEvent) => e.eventTime * 1000 + 80;
  await insert(
    client,
    'decisions',
    events.map((e) => ({
      event_id: e.id,
      customer_id: e.customer,
      event_time: e.eventTime,
      action: e.action,
      reason_codes: e.action === 'REVIEW' ? ['RULE:large_online_fallback', 'SCORE_BAND:high'] : ['SCORE_BAND:low'],
      score: e.score,
      path: e.path,
      rule_set_version: 'test.1',
      model_name: e.score === null ? null : 'fraud_gbdt',
      model_version: e.score === null ? null : '2',
      feature_set_version: fraudFeatureSet.version,
      experiment_variant: e.variant,
      decided_at: Math.floor(decidedMs(e) / 1000),
      decided_at_ms: decidedMs(e),
    })),
  );
  await insert(
    client,
    'transactions_enriched',
    events.map((e) => ({
      event_id: e.id,
      event_time: e.eventTime,
      customer_id: e.customer,
      terminal_id: e.terminal,
      amount_minor: 125_000,
      currency: 'EUR',
      channel: 'ECOM',
      country: 'PT',
      device_hash: null,
      ip_hash: null,
      feature_set: fraudFeatureSet.name,
      feature_set_version: fraudFeatureSet.version,
      feature_values: fraudFeatureSet.names.map((_, i) => (i === 0 ? Number.NaN : i / 10)),
      computed_at: e.eventTime,
      computed_at_ms: e.eventTime * 1000 + 30,
    })),
  );
  await insert(
    client,
    'scores',
    events
      .filter((e) => e.score !== null)
      .map((e) => ({
        event_id: e.id,
        customer_id: e.customer,
        event_time: e.eventTime,
        model_name: 'fraud_gbdt',
        model_version: '2',
        feature_set_version: fraudFeatureSet.version,
        score: e.score,
        shadow: false,
        latency_ms: 4.5,
        scored_at: e.eventTime,
        scored_at_ms: e.eventTime * 1000 + 50,
        contribution_features: [fraudFeatureSet.names[1] as string],
        contribution_values: [0.25],
      })),
  );
  const now = Date.now();
  await insert(client, 'dead_letters', [
    {
      topic: 'transactions',
      partition: 0,
      offset: 7,
      service: 'features',
      error_type: 'MalformedMessageError',
      error: 'frame too short',
      original_key: 'k',
      original_value_length: 3,
      event_time: null,
      dead_lettered_at: Math.floor(now / 1000),
      dead_lettered_at_ms: now,
    },
  ]);
}

/** A stand-in for a pipeline service's health server: ready or not, with the consumer loop's counters. */
async function fakeService(ready: () => boolean, metrics: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/health/ready') {
      response.writeHead(ready() ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ready() ? { status: 'ready' } : { status: 'not ready', failing: ['consuming'] }));
    } else if (request.url === '/metrics') {
      response.end(metrics());
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const s = servers();
  const name = uniqueName('console');
  const database = uniqueName('console_db');
  const topics = {
    transactions: uniqueName('transactions'),
    enriched: uniqueName('enriched'),
    scores: uniqueName('scores'),
    decisions: uniqueName('decisions'),
    labels: uniqueName('labels'),
  };
  const kafka = testKafka(name);
  for (const topic of Object.values(topics)) await createTopic(kafka, topic, 2);
  const producer: Producer = createProducer(kafka);
  await producer.connect();

  let consumed = 0;
  const ready = await fakeService(
    () => true,
    () =>
      `# TYPE pipeline_messages_consumed_total counter\npipeline_messages_consumed_total{topic="${topics.transactions}"} ${consumed}\npipeline_dead_letters_total{topic="${topics.transactions}"} 2\n`,
  );
  const notReady = await fakeService(
    () => false,
    () => '',
  );
  const port = (server: Server) => (server.address() as AddressInfo).port;

  const lagGroup = uniqueName('lagging');
  const config = parseConfig({
    KAFKA_BROKERS: s.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
    CLICKHOUSE_URL: s.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: database,
    SERVICE_NAME: name,
    LOG_LEVEL: 'silent',
    CONSOLE_PORT: '0',
    CONSOLE_SAMPLE_INTERVAL: '250ms',
    CONSOLE_LIVE_WINDOW: '1m',
    CONSOLE_SERVICES: `features=http://127.0.0.1:${port(ready)},scorer=http://127.0.0.1:${port(notReady)},decision=http://127.0.0.1:1`,
    CONSOLE_GROUPS: lagGroup,
    CONSOLE_TRANSACTIONS_TOPIC: topics.transactions,
    CONSOLE_ENRICHED_TOPIC: topics.enriched,
    CONSOLE_SCORES_TOPIC: topics.scores,
    CONSOLE_DECISIONS_TOPIC: topics.decisions,
    CONSOLE_LABELS_TOPIC: topics.labels,
  });
  const logger = createLogger(name, 'silent');
  const serde = createAvroSerde(createRegistryClient(s.SCHEMA_REGISTRY_URL));
  const clickhouse = createClickHouse(s.CLICKHOUSE_URL, database);
  // startConsole applies the migrations (creating the database) before anything is seeded.
  const running = await startConsole({ config, kafka, serde, clickhouse, logger });
  const events = seededEvents(name);
  await seed(clickhouse, events);

  const traffic = async (n: number) => {
    const now = Date.now();
    const messages = (delay: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: `C${i}`,
        value: Buffer.from('x'),
        headers: { [INGEST_TIME_HEADER]: String(now - delay) },
      }));
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: topics.transactions, messages: messages(0) },
        { topic: topics.enriched, messages: messages(15) },
        { topic: topics.scores, messages: messages(30) },
        { topic: topics.decisions, messages: messages(60) },
      ],
    });
    consumed += n;
  };

  // A group that committed the start of partition 0 and stopped: everything after is its lag.
  await traffic(6);
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({
    groupId: lagGroup,
    topic: topics.transactions,
    partitions: [{ partition: 0, offset: '0' }],
  });
  await admin.disconnect();

  const labels = async (): Promise<Label[]> => {
    const consumer = kafka.consumer({ groupId: uniqueName('labels-reader') });
    const decoder = serde.decoder<Label>(schemaFor('fraud/label').type);
    const found: Label[] = [];
    const adminForEnds = kafka.admin();
    await adminForEnds.connect();
    const total = (await adminForEnds.fetchTopicOffsets(topics.labels)).reduce((sum, p) => sum + Number(p.high), 0);
    await adminForEnds.disconnect();
    if (total === 0) return [];
    await consumer.connect();
    await consumer.subscribe({ topic: topics.labels, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error(`read ${found.length} of ${total} labels in 15 s`)), 15_000).unref();
      void consumer.run({
        eachBatch: async ({ batch }) => {
          await decoder.prepare(batch.messages.map((m) => m.value));
          for (const m of batch.messages) found.push(decoder.decode(m.value));
          if (found.length >= total) resolve();
        },
      });
    });
    await consumer.disconnect();
    return found;
  };

  return {
    url: `http://127.0.0.1:${running.port}`,
    console: running,
    kafka,
    serde,
    clickhouse,
    topics,
    lagGroup,
    events,
    traffic,
    labels,
    stop: async () => {
      await running.stop();
      await producer.disconnect();
      for (const server of [ready, notReady]) await new Promise((r) => server.close(r));
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      await clickhouse.close();
    },
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}
