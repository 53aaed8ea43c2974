import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createAvroSerde,
  createKafka,
  createProducer,
  createRegistryClient,
  type KafkaSecurity,
} from '@pipeline/shared';
import { fraudTopics, type Label, schemaFor, type Transaction } from '@pipeline/topology';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface CatchUpResult {
  /** Transactions per second while the committed offsets went from 20 % to 80 % of the input. */
  txPerS: number;
  windowS: number;
  /** From starting the process to every transaction committed (start-up and group join included). */
  totalS: number;
  enriched: number;
}

/**
 * The service itself (src/main.ts, one process) catching up on a backlog: every transaction and
 * label put on fresh topics with the topology's partitions first, then the service started; kafkajs
 * hands it batches of up to a fetch (1 MB per partition), Avro decoding, the label gate, Redis,
 * producing the enriched events and committing included. Topics are deleted after.
 */
export async function catchUp(options: {
  brokers: string[];
  /** kafkaSecurityOf the servers. */
  security: KafkaSecurity;
  registryUrl: string;
  redisUrl: string;
  keyPrefix: string;
  txs: Transaction[];
  labels: Label[];
}): Promise<CatchUpResult> {
  const { txs, labels } = options;
  const kafka = createKafka({ brokers: options.brokers, clientId: 'bench-features', security: options.security });
  const tag = `bench_features_${Date.now().toString(36)}`;
  const topics = {
    transactions: `${tag}_tx`,
    labels: `${tag}_labels`,
    enriched: `${tag}_enriched`,
    deadLetters: `${tag}_dlq`,
    audit: `${tag}_audit`,
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: fraudTopics.transactions.partitions })),
    });
    const serde = createAvroSerde(createRegistryClient(options.registryUrl));
    const txEncoder = await serde.encoder<Transaction>(
      `${topics.transactions}-value`,
      schemaFor('fraud/transaction').type,
    );
    const labelEncoder = await serde.encoder<Label>(`${topics.labels}-value`, schemaFor('fraud/label').type);
    const producer = createProducer(kafka);
    await producer.connect();
    for (let i = 0; i < txs.length; i += 2000) {
      const messages = txs.slice(i, i + 2000).map((t) => ({ key: t.customer_id, value: txEncoder.encode(t) }));
      await producer.send({ topic: topics.transactions, acks: -1, messages });
    }
    for (let i = 0; i < labels.length; i += 2000) {
      const messages = labels.slice(i, i + 2000).map((l) => ({ key: l.customer_id, value: labelEncoder.encode(l) }));
      await producer.send({ topic: topics.labels, acks: -1, messages });
    }
    await producer.disconnect();

    const group = `${tag}_group`;
    const committed = async () => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topics.transactions] });
      return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        OTEL_SDK_DISABLED: 'true',
        SERVICE_NAME: 'bench-features',
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: options.brokers.join(','),
        SCHEMA_REGISTRY_URL: options.registryUrl,
        REDIS_URL: options.redisUrl,
        FEATURES_GROUP_ID: group,
        FEATURES_KEY_PREFIX: options.keyPrefix,
        FEATURES_TRANSACTIONS_TOPIC: topics.transactions,
        FEATURES_LABELS_TOPIC: topics.labels,
        FEATURES_ENRICHED_TOPIC: topics.enriched,
        FEATURES_DEAD_LETTER_TOPIC: topics.deadLetters,
        FEATURES_AUDIT_TOPIC: topics.audit,
      },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const samples: { at: number; done: number }[] = [];
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before catching up`);
        const done = await committed();
        samples.push({ at: performance.now(), done });
        if (done >= txs.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const when = (share: number) => samples.find((s) => s.done >= share * txs.length) as { at: number; done: number };
    const from = when(0.2);
    const to = when(0.8);
    const enriched = (await admin.fetchTopicOffsets(topics.enriched)).reduce((sum, p) => sum + Number(p.high), 0);
    return {
      txPerS: (to.done - from.done) / ((to.at - from.at) / 1000),
      windowS: (to.at - from.at) / 1000,
      totalS: ((samples.at(-1)?.at ?? started) - started) / 1000,
      enriched,
    };
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.deleteGroups([`${tag}_group`, `${tag}_group.labels`]).catch(() => undefined);
    await admin.disconnect();
  }
}
