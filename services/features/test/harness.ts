import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createAvroSerde,
  createProducer,
  createRegistryClient,
  deleteMatching,
  type Kafka,
  type RedisClient,
  scanKeys,
} from '@pipeline/shared';
import { createTopic, securityEnv, servers, testKafka, testPrincipals, uniqueName } from '@pipeline/testing';
import { type EnrichedTransaction, type Label, schemaFor, type Transaction } from '@pipeline/topology';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface Topics {
  transactions: string;
  labels: string;
  enriched: string;
  deadLetters: string;
  /** Where the service audits its configuration at start. */
  audit: string;
}

export async function createTopics(kafka: Kafka, tag: string): Promise<Topics> {
  const t = {
    transactions: uniqueName(`${tag}_tx`),
    labels: uniqueName(`${tag}_labels`),
    enriched: uniqueName(`${tag}_enriched`),
    deadLetters: uniqueName(`${tag}_dlq`),
    audit: uniqueName(`${tag}_audit`),
  };
  for (const name of Object.values(t)) await createTopic(kafka, name);
  return t;
}

export function serde() {
  return createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
}

/** Produces transactions and labels (keyed by customer), in order, acknowledged. */
export async function produceInputs(kafka: Kafka, topics: Topics, txs: Transaction[], labels: Label[]): Promise<void> {
  const s = serde();
  const txEnc = await s.encoder<Transaction>(`${topics.transactions}-value`, schemaFor('fraud/transaction').type);
  const labelEnc = await s.encoder<Label>(`${topics.labels}-value`, schemaFor('fraud/label').type);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    for (let i = 0; i < txs.length; i += 2000) {
      const messages = txs.slice(i, i + 2000).map((t) => ({ key: t.customer_id, value: txEnc.encode(t) }));
      await producer.send({ topic: topics.transactions, acks: -1, messages });
    }
    if (labels.length > 0) {
      const messages = labels.map((l) => ({ key: l.customer_id, value: labelEnc.encode(l) }));
      await producer.send({ topic: topics.labels, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The principals the test services admit; the read API's tests read with `principals.only.read`. */
export const principals = testPrincipals();

/** Starts the feature service (src/main.ts) as its own process. */
export function startService(
  topics: Topics,
  opts: { group: string; prefix: string; enriched?: string; apiPort?: number; env?: Record<string, string> },
): ChildProcess {
  const s = servers();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      ...securityEnv(),
      KAFKA_BROKERS: s.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
      REDIS_URL: s.REDIS_URL,
      SERVICE_NAME: 'features-test',
      HTTP_AUTH_TOKENS: principals.env,
      LOG_LEVEL: process.env.FEATURES_TEST_LOG_LEVEL ?? 'error',
      FEATURES_GROUP_ID: opts.group,
      FEATURES_KEY_PREFIX: opts.prefix,
      FEATURES_TRANSACTIONS_TOPIC: topics.transactions,
      FEATURES_LABELS_TOPIC: topics.labels,
      FEATURES_ENRICHED_TOPIC: opts.enriched ?? topics.enriched,
      FEATURES_DEAD_LETTER_TOPIC: topics.deadLetters,
      FEATURES_AUDIT_TOPIC: topics.audit,
      FEATURES_API_PORT: String(opts.apiPort ?? 0),
      ...opts.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

export async function stopService(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

export async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function committed(kafka: Kafka, group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Reads a whole topic (up to its current end) and decodes it. */
export async function readAll<T>(kafka: Kafka, topic: string, schema: string): Promise<T[]> {
  const end = await topicEnd(kafka, topic);
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const raw: (Buffer | null)[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${raw.length} of ${end} from ${topic}`)), 60_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) raw.push(m.value);
          if (raw.length >= end) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  const decoder = serde().decoder<T>(schemaFor(schema).type);
  await decoder.prepare(raw);
  return raw.map((v) => decoder.decode(v));
}

export async function readEnriched(kafka: Kafka, topic: string): Promise<EnrichedTransaction[]> {
  return readAll<EnrichedTransaction>(kafka, topic, 'fraud/enriched-transaction');
}

/** Every entity key under a prefix with its content (watermark bookkeeping left out), prefix stripped. */
export async function dumpState(redis: RedisClient, prefix: string): Promise<Record<string, unknown>> {
  const keys = await scanKeys(redis, `${prefix}*`);
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const name = key.slice(prefix.length);
    if (name.startsWith('{w:')) continue;
    // values are binary (cmsgpack): compared as hex, byte for byte
    const type = await redis.type(key);
    if (type === 'string') out[name] = (await redis.getBuffer(key))?.toString('hex');
    else if (type === 'hash') {
      const h = await redis.hgetallBuffer(key);
      out[name] = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.toString('hex')]));
    } else if (type === 'zset') out[name] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else out[name] = type;
  }
  return out;
}

export async function deletePrefix(redis: RedisClient, prefix: string): Promise<void> {
  await deleteMatching(redis, `${prefix}*`);
}

export { testKafka };
