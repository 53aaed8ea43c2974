import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  type ClickHouseClient,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  identifier,
  type Kafka,
  type KafkaMessage,
  literal,
  migrate,
  type Producer,
  type SqlValue,
  sql,
} from '@pipeline/shared';
import { createTopic, securityEnv, servers, testKafka, testPrincipals, uniqueName } from '@pipeline/testing';
import { type Alert, type RetrainingTrigger, schemaFor } from '@pipeline/topology';
import { loadConfig } from '../src/config.js';
import type { MonitorMetrics } from '../src/metrics.js';
import { createMonitor, type Monitor, type MonitorSettings } from '../src/monitor.js';
import { createAlertPublisher } from '../src/publisher.js';
import type { Traffic } from './traffic.js';

/** The thresholds the retraining test detects a new fraud pattern with, and the drift test a drift. */
export const TEST_THRESHOLDS = `drift:
  min_samples: 300
quality:
  min_samples: 300
performance:
  min_roc_auc: 0
  min_average_precision: 0.45
  min_labelled: 1000
  min_frauds: 30
mix:
  min_decisions: 300
`;

export const logger = createLogger('monitor-test', 'silent');
const repoModels = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');
const [championName, championVersion] = (
  JSON.parse(readFileSync(join(repoModels, 'aliases.json'), 'utf8')) as { champion: string }
).champion.split('@');
/** The committed champion: the model on the feature set the pipeline serves. */
export const CHAMPION = { model_name: championName as string, model_version: championVersion as string };
/** The champion's ONNX file in a registry copy. */
export const championModel = (registry: string) =>
  join(registry, CHAMPION.model_name, CHAMPION.model_version, 'model.onnx');

/** A copy of the committed registry (never the committed one), optionally with the champion's training window set. */
export function tempRegistry(trainingWindow?: { from: number; to: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'monitor-registry-'));
  cpSync(repoModels, dir, { recursive: true });
  if (trainingWindow) {
    const path = join(dir, CHAMPION.model_name, CHAMPION.model_version, 'metadata.json');
    const meta = JSON.parse(readFileSync(path, 'utf8'));
    meta.training_window.train_from = new Date(trainingWindow.from).toISOString();
    meta.training_window.train_to = new Date(trainingWindow.to - 1000).toISOString();
    writeFileSync(path, JSON.stringify(meta, null, 2));
  }
  return dir;
}

function values(rows: readonly SqlValue[][]): string {
  return rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');
}

const s = (ms: number) => Math.floor(ms / 1000);

/** What the sink would have written for this traffic, scored by one model; decisions by score band. */
export async function insertTraffic(
  client: ClickHouseClient,
  t: Traffic,
  scores: readonly number[],
  options: { model?: { model_name: string; model_version: string }; variant?: string } = {},
): Promise<void> {
  const model = options.model ?? CHAMPION;
  const variant = options.variant ?? 'control';
  for (let i = 0; i < t.rows.length; i += 2_000) {
    const batch = t.rows.slice(i, i + 2_000);
    const sc = scores.slice(i, i + 2_000);
    await client.command({
      query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms) VALUES ${values(
        batch.map(({ tx, values: v }) => [
          tx.event_id,
          s(tx.event_time),
          tx.customer_id,
          tx.terminal_id,
          tx.amount_minor,
          tx.currency,
          tx.channel,
          tx.country,
          tx.device_hash,
          tx.ip_hash,
          fraudFeatureSet.name,
          fraudFeatureSet.version,
          v,
          s(tx.event_time) + 1,
          tx.event_time + 1000,
        ]),
      )}`,
    });
    await client.command({
      query: `INSERT INTO scores (event_id, customer_id, event_time, model_name, model_version, feature_set_version, score, shadow, latency_ms, scored_at, scored_at_ms, contribution_features, contribution_values) VALUES ${values(
        batch.map(({ tx }, j) => [
          tx.event_id,
          tx.customer_id,
          s(tx.event_time),
          model.model_name,
          model.model_version,
          1,
          sc[j] as number,
          0,
          1.5,
          s(tx.event_time) + 2,
          tx.event_time + 2000,
          [],
          [],
        ]),
      )}`,
    });
    await client.command({
      query: `INSERT INTO decisions (event_id, customer_id, event_time, action, reason_codes, score, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) VALUES ${values(
        batch.map(({ tx }, j) => {
          const p = sc[j] as number;
          return [
            tx.event_id,
            tx.customer_id,
            s(tx.event_time),
            p >= 0.8 ? 'DECLINE' : p >= 0.5 ? 'REVIEW' : 'APPROVE',
            [],
            p,
            'MODEL_AND_RULES',
            'rules-1',
            model.model_name,
            model.model_version,
            1,
            variant,
            s(tx.event_time) + 3,
            tx.event_time + 3000,
          ];
        }),
      )}`,
    });
  }
  for (let i = 0; i < t.labels.length; i += 5_000) {
    await client.command({
      query: `INSERT INTO labels (transaction_id, customer_id, terminal_id, is_fraud, label_time, label_time_ms, transaction_time_ms) VALUES ${values(
        t.labels
          .slice(i, i + 5_000)
          .map((l) => [
            l.transaction_id,
            l.customer_id,
            l.terminal_id,
            l.is_fraud,
            s(l.label_time),
            l.label_time,
            l.transaction_time,
          ]),
      )}`,
    });
  }
}

export interface Harness {
  database: string;
  clickhouse: ClickHouseClient;
  kafka: Kafka;
  producer: Producer;
  topics: { alerts: string; retrainingTriggers: string; deadLetters: string };
  /** A monitor over the test's database and topics; `vars` are monitor environment variables. */
  monitor(
    vars: Record<string, string>,
    metrics?: MonitorMetrics,
  ): Promise<{ monitor: Monitor; settings: MonitorSettings }>;
  /** Every message on a topic so far, decoded. */
  read<T>(topic: string, schema: string): Promise<T[]>;
  triggers(): Promise<RetrainingTrigger[]>;
  alerts(): Promise<Alert[]>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const database = uniqueName('monitor');
  const url = servers().CLICKHOUSE_URL;
  await migrate({ url: servers(), database, logger });
  const clickhouse = createClickHouse(servers(), database);
  const kafka = testKafka(uniqueName('monitor-test'));
  const topics = {
    alerts: uniqueName('alerts'),
    retrainingTriggers: uniqueName('triggers'),
    deadLetters: uniqueName('dead_letters'),
  };
  for (const topic of Object.values(topics)) await createTopic(kafka, topic, 1);
  const producer = createProducer(kafka);
  await producer.connect();
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const monitors: Monitor[] = [];

  async function read<T>(topic: string, schema: string): Promise<T[]> {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    if (total === 0) return [];
    const decoder = serde.decoder<T>(schemaFor(schema).type);
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    const messages: KafkaMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${total} from ${topic}`)), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            messages.push(message);
            if (messages.length >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    await decoder.prepare(messages.map((m) => m.value));
    return messages.map((m) => decoder.decode(m.value));
  }

  return {
    database,
    clickhouse,
    kafka,
    producer,
    topics,
    async monitor(vars, metrics) {
      const settings = loadConfig({
        // Read by every service's parser; these jobs serve no HTTP here.
        HTTP_AUTH_TOKENS: testPrincipals().env,
        ...securityEnv(),
        KAFKA_BROKERS: servers().KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: servers().SCHEMA_REGISTRY_URL,
        CLICKHOUSE_URL: url,
        CLICKHOUSE_DATABASE: database,
        ...vars,
      });
      const publisher = await createAlertPublisher({ producer, serde, topics });
      const monitor = createMonitor({ clickhouse, publisher, logger, settings, ...(metrics ? { metrics } : {}) });
      monitors.push(monitor);
      return { monitor, settings };
    },
    read,
    triggers: () => read<RetrainingTrigger>(topics.retrainingTriggers, 'monitor/retraining-trigger'),
    alerts: () => read<Alert>(topics.alerts, 'monitor/alert'),
    async close() {
      for (const m of monitors) await m.stop();
      await producer.disconnect();
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      await clickhouse.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
