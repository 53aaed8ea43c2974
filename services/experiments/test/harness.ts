import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { Random } from '@pipeline/loadtest';
import { fileRegistry } from '@pipeline/scorer';
import {
  type ClickHouseClient,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  type Kafka,
  literal,
  migrate,
  type Producer,
  type SqlValue,
} from '@pipeline/shared';
import {
  createTopic,
  readMessages,
  securityEnv,
  servers,
  testKafka,
  testPrincipals,
  uniqueName,
} from '@pipeline/testing';
import { type ExperimentDecision, schemaFor } from '@pipeline/topology';
import { loadConfig } from '../src/config.js';
import { createExperimentJob, type ExperimentJob } from '../src/job.js';
import { createDecisionPublisher } from '../src/publisher.js';

export const logger = createLogger('experiments-test', 'silent');
export const DAY = 86_400_000;
const repoModels = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');

/** A copy of the committed registry's alias file and metadata (champion fraud_gbdt@2, promoted over @1). */
export function tempRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'experiments-registry-'));
  cpSync(repoModels, dir, {
    recursive: true,
    filter: (src) => !src.endsWith('.onnx') && !src.endsWith('fixture.json'),
  });
  return dir;
}

/** A rules file holding only an experiment block (the job reads nothing else of it). */
export function rulesFile(variants: { name: string; share: number; model?: string }[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'experiments-rules-')), 'fraud.yaml');
  writeFileSync(
    file,
    `version: "test"\nexperiment:\n  name: gbm_trial\n  variants:\n${variants
      .map((v) => `    - { name: ${v.name}, share: ${v.share}${v.model ? `, model: ${v.model}` : ''} }`)
      .join('\n')}\n`,
  );
  return file;
}

export interface Row {
  event_id: string;
  customer_id: string;
  time: number;
  variant: string;
  model: string;
  score: number;
  action: 'APPROVE' | 'REVIEW' | 'DECLINE';
  amount: number;
  fraud: boolean;
  latency: number;
}

/**
 * Traffic with a known effect. `customers` customers, one transaction a day each, from `from` to
 * `to`. Scores are calibrated (a transaction is a fraud with probability its score). Before `start`
 * every decision is variant control; from it, even customers are control (model fraud_gbdt@2,
 * flags scores >= 0.5) and odd ones challenger (fraud_gbdt@1, flags scores >= `challengerThreshold`,
 * so it stops more fraud money). Labels arrive a day after the transaction.
 */
export function traffic(options: {
  seed: number;
  customers: number;
  from: number;
  to: number;
  start: number;
  challengerThreshold: number;
  controlDeclineShare?: number;
}): Row[] {
  const rng = new Random(options.seed, 1);
  const rows: Row[] = [];
  let id = 0;
  for (let day = options.from; day < options.to; day += DAY) {
    for (let c = 0; c < options.customers; c++) {
      const time = day + Math.floor(rng.float() * DAY);
      const inExperiment = time >= options.start;
      const variant = inExperiment && c % 2 === 1 ? 'challenger' : 'control';
      const score = rng.float() ** 8;
      const threshold = variant === 'challenger' ? options.challengerThreshold : 0.5;
      const flagged = score >= threshold;
      // An optional extra share of the control's approvals declined: a champion breaching its decline limit.
      const forcedDecline = variant === 'control' && inExperiment && rng.chance(options.controlDeclineShare ?? 0);
      rows.push({
        event_id: `e${options.seed}-${id++}`,
        customer_id: `C${c}`,
        time,
        variant,
        model: variant === 'challenger' ? 'fraud_gbdt@1' : 'fraud_gbdt@2',
        score,
        action: forcedDecline || score >= 0.8 ? 'DECLINE' : flagged ? 'REVIEW' : 'APPROVE',
        amount: Math.round(rng.lognormal(8, 1)),
        fraud: rng.chance(score),
        latency: 15 + rng.below(20),
      });
    }
  }
  return rows;
}

const values = (rows: readonly SqlValue[][]) => rows.map((r) => `(${r.map(literal).join(', ')})`).join(',\n');
const s = (ms: number) => Math.floor(ms / 1000);

/** What the sink would have written for the traffic. */
export async function insertTraffic(client: ClickHouseClient, rows: readonly Row[]): Promise<void> {
  const zeros = fraudFeatureSet.names.map(() => 0);
  for (let i = 0; i < rows.length; i += 5_000) {
    const batch = rows.slice(i, i + 5_000);
    await client.command({
      query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms) VALUES ${values(
        batch.map((r) => [
          r.event_id,
          s(r.time),
          r.customer_id,
          'T1',
          r.amount,
          'EUR',
          'POS',
          'PT',
          null,
          null,
          fraudFeatureSet.name,
          fraudFeatureSet.version,
          zeros,
          s(r.time),
          r.time,
        ]),
      )}`,
    });
    await client.command({
      query: `INSERT INTO decisions (event_id, customer_id, event_time, action, reason_codes, score, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) VALUES ${values(
        batch.map((r) => {
          const [name, version] = r.model.split('@');
          return [
            r.event_id,
            r.customer_id,
            s(r.time),
            r.action,
            [],
            r.score,
            'MODEL_AND_RULES',
            'test',
            name as string,
            version as string,
            fraudFeatureSet.version,
            r.variant,
            s(r.time + r.latency),
            r.time + r.latency,
          ];
        }),
      )}`,
    });
    await client.command({
      query: `INSERT INTO labels (transaction_id, customer_id, terminal_id, is_fraud, label_time, label_time_ms, transaction_time_ms) VALUES ${values(
        batch.map((r) => [r.event_id, r.customer_id, 'T1', r.fraud ? 1 : 0, s(r.time + DAY), r.time + DAY, r.time]),
      )}`,
    });
  }
}

export interface Harness {
  database: string;
  clickhouse: ClickHouseClient;
  kafka: Kafka;
  producer: Producer;
  topic: string;
  registryDir: string;
  job(vars: Record<string, string>): Promise<ExperimentJob>;
  messages(count: number): Promise<ExperimentDecision[]>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const database = uniqueName('experiments');
  const url = servers().CLICKHOUSE_URL;
  await migrate({ url: servers(), database, logger });
  const clickhouse = createClickHouse(servers(), database);
  const kafka = testKafka(uniqueName('experiments-test'));
  const topic = uniqueName('experiment_decisions');
  await createTopic(kafka, topic, 1);
  const producer = createProducer(kafka);
  await producer.connect();
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const registryDir = tempRegistry();
  return {
    database,
    clickhouse,
    kafka,
    producer,
    topic,
    registryDir,
    async job(vars) {
      const settings = loadConfig({
        // Read by every service's parser; these jobs serve no HTTP here.
        HTTP_AUTH_TOKENS: testPrincipals().env,
        ...securityEnv(),
        KAFKA_BROKERS: servers().KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: servers().SCHEMA_REGISTRY_URL,
        CLICKHOUSE_URL: url,
        CLICKHOUSE_DATABASE: database,
        MODEL_REGISTRY_DIR: registryDir,
        EXPERIMENTS_DECISIONS_TOPIC: topic,
        SERVICE_NAME: 'experiments-test',
        EXPERIMENTS_POWER_SIMS: '500',
        ...vars,
      });
      const publisher = await createDecisionPublisher({ producer, serde, topic });
      return createExperimentJob({ clickhouse, publisher, registry: fileRegistry(registryDir), logger, settings });
    },
    async messages(count) {
      const messages = await readMessages(kafka, topic, count);
      const decoder = serde.decoder<ExperimentDecision>(schemaFor('experiments/decision').type);
      await decoder.prepare(messages.map((m) => m.value));
      return messages.map((m) => decoder.decode(m.value));
    },
    async close() {
      await producer.disconnect();
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await clickhouse.close();
    },
  };
}
