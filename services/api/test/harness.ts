import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decisionVars, openRuleStore, type RuleStore } from '@pipeline/decision';
// The e2e runner's process start and per-service environment, as the demo and the benchmark use them.
import { type ServiceProcess, startServiceProcess } from '@pipeline/e2e/src/processes/service-process.js';
import type { RunNamespace } from '@pipeline/e2e/src/run/namespace.js';
import { type ServiceName, serviceEntry, serviceEnv } from '@pipeline/e2e/src/run/services.js';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  connectRedis,
  createAvroSerde,
  createKafka,
  createLogger,
  createRegistryClient,
  type DeadLetter,
  deleteMatching,
  type Kafka,
  kafkaSecurityOf,
  type RedisClient,
} from '@pipeline/shared';
import { bearer, servers, testKafka, testPrincipals, uniqueName } from '@pipeline/testing';
import { type Decision, schemaFor, type Transaction } from '@pipeline/topology';
import { type Api, startApi } from '../src/app.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The principals the test API admits: `post` carries the token of one holding only `decide`. */
export const principals = testPrincipals();

/** The compiled build the pipeline's service processes run (`npm run build`). */
export function buildServices(): void {
  execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: 'pipe' });
}

/**
 * A namespace of the test's own, in the shape the e2e runner gives the services their environment:
 * topics, groups, Redis prefixes. Names carry the test run's token, so its teardown removes them.
 */
export function testNamespace(): RunNamespace {
  const id = uniqueName('api');
  const names = [
    'transactions',
    'labels',
    'enriched',
    'scores',
    'decisions',
    'deadLetters',
    'audit',
    'alerts',
    'triggers',
  ];
  const [transactions, labels, enriched, scores, decisions, deadLetters, audit, alerts, retrainingTriggers] = names.map(
    (n) => `${id}.${n}`,
  ) as string[] as [string, string, string, string, string, string, string, string, string];
  return {
    id,
    useCases: ['fraud'],
    recsys: null,
    topics: { transactions, labels, enriched, scores, decisions, deadLetters, audit, alerts, retrainingTriggers },
    declarations: [],
    groupPrefix: `${id}.`,
    redisPrefix: `${id}:`,
    clickhouseDatabase: id,
  };
}

export interface ApiWorld {
  ns: RunNamespace;
  kafka: Kafka;
  redis: RedisClient;
  rules: RuleStore;
  api: Api;
  url: string;
  /** Every decision on the namespace's decisions topic so far. */
  decisions: Decision[];
  /** Event ids of every transaction on the transactions topic so far, in order. */
  transactions: string[];
  /** Every dead letter on the namespace's dead-letter topic so far. */
  deadLetters: DeadLetter[];
  /** Another API instance on the namespace (closed with the world). */
  startAnotherApi(): Promise<Api>;
  /** Starts one of the pipeline's services as a process on the namespace (returns once it is ready). */
  startService(name: ServiceName, tuning?: Record<string, string>): Promise<ServiceProcess>;
  close(): Promise<void>;
}

/**
 * All in one request. A broker busy with other tests may answer the leader wait
 * with "does not host this topic-partition" while the topics are being created: asked again, creating
 * is a no-op for the ones that exist.
 */
async function createTopics(kafka: Kafka, topics: string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
        });
        await admin.fetchTopicMetadata({ topics });
        return;
      } catch (error) {
        if (attempt === 5) throw error;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** The decision engine's Redis prefix for a namespace, as the e2e runner gives it (`serviceEnv`). */
const engineEnv = (ns: RunNamespace) => serviceEnv('decision', ns, servers());

/**
 * Topics (one partition each by default: a stopped engine resumes where it committed), a reader of
 * the decisions and transactions topics, and the API in this process, on the namespace.
 * `brokers` points the API at another Kafka (a closed port: the pipeline down).
 */
export async function createApiWorld(
  options: { brokers?: string[]; ns?: RunNamespace; partitions?: number } = {},
): Promise<ApiWorld> {
  const ns = options.ns ?? testNamespace();
  const kafka = testKafka('api-test');
  await createTopics(kafka, Object.values(ns.topics), options.partitions ?? 1);
  const redis = await connectRedis({
    REDIS_URL: servers().REDIS_URL,
    REDIS_TLS_CA: servers().REDIS_TLS_CA,
    REDIS_CLUSTER: false,
  });
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));

  const decisions: Decision[] = [];
  const transactions: string[] = [];
  const deadLetters: DeadLetter[] = [];
  const reader = kafka.consumer({ groupId: uniqueName('api-reader'), maxWaitTimeInMs: 100 });
  const decisionDecoder = serde.decoder<Decision>(schemaFor('fraud/decision').type);
  const transactionDecoder = serde.decoder<Transaction>(schemaFor('fraud/transaction').type);
  const deadLetterDecoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
  await reader.connect();
  await reader.subscribe({
    topics: [ns.topics.decisions, ns.topics.transactions, ns.topics.deadLetters],
    fromBeginning: true,
  });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const values = batch.messages.map((m) => m.value);
      if (batch.topic === ns.topics.decisions) {
        await decisionDecoder.prepare(values);
        decisions.push(...values.map((v) => decisionDecoder.decode(v)));
      } else if (batch.topic === ns.topics.transactions) {
        await transactionDecoder.prepare(values);
        transactions.push(...values.map((v) => transactionDecoder.decode(v).event_id));
      } else {
        await deadLetterDecoder.prepare(values);
        deadLetters.push(...values.map((v) => deadLetterDecoder.decode(v)));
      }
    },
  });

  const engine = engineEnv(ns);
  const rules = await openRuleStore({
    file: decisionVars.DECISION_RULES_FILE.parse(undefined),
    featureSet: fraudFeatureSet,
    pollMs: 1_000,
  });
  const apiKafka = options.brokers
    ? createKafka({ brokers: options.brokers, clientId: 'api-test', security: kafkaSecurityOf(servers()) })
    : kafka;
  /** An instance of the API on the namespace, with a consumer group of its own, as each instance has. */
  const startInstance = () =>
    startApi({
      kafka: apiKafka,
      serde,
      redis,
      logger: createLogger('api-test', 'silent'),
      rules,
      featureSet: fraudFeatureSet,
      port: 0,
      auth: principals.auth('api'),
      groupId: uniqueName('api'),
      topics: {
        transactions: ns.topics.transactions,
        enriched: ns.topics.enriched,
        decisions: ns.topics.decisions,
        deadLetters: ns.topics.deadLetters,
      },
      strandedHoldMs: 600_000,
      deadline: { defaultMs: 100, minMs: 10, maxMs: 5_000 },
      produceTimeoutMs: 2_000,
      emittedGraceMs: 2_000,
      idempotencyTtlMs: 600_000,
      maxBodyBytes: 4_096,
      keyPrefix: `${ns.redisPrefix}api:`,
      engine: { keyPrefix: engine.DECISION_REDIS_PREFIX as string, decidedTtlMs: 600_000 },
    });
  const api = await startInstance();
  const instances: Api[] = [api];

  const processes: ServiceProcess[] = [];
  return {
    ns,
    kafka,
    redis,
    rules,
    api,
    url: `http://127.0.0.1:${api.port}`,
    decisions,
    transactions,
    deadLetters,
    async startAnotherApi() {
      const another = await startInstance();
      instances.push(another);
      return another;
    },
    async startService(name, tuning = {}) {
      const service = await startServiceProcess({
        name,
        entry: serviceEntry(name),
        env: serviceEnv(name, ns, servers(), { LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true', ...tuning }),
        write: () => {},
        colour: null,
        prefixWidth: 0,
      });
      processes.push(service);
      return service;
    },
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      await Promise.all(instances.map((i) => i.close()));
      await reader.disconnect();
      rules.close();
      await deleteMatching(redis, `${ns.redisPrefix}*`);
      await redis.quit();
    },
  };
}

/** Waits until `check` returns a value, polling; fails naming `what` after `ms`. */
export async function eventually<T>(what: string, check: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let sequence = 0;

/** A transaction of now, on a customer of its own. */
export function transaction(patch: Partial<Transaction> = {}): Transaction {
  sequence++;
  return {
    event_id: uniqueName(`e${sequence}`),
    event_time: Date.now(),
    customer_id: uniqueName(`C${sequence}`),
    terminal_id: 'T000001',
    amount_minor: 2_500,
    currency: 'EUR',
    channel: 'POS',
    country: 'PT',
    device_hash: null,
    ip_hash: null,
    ...patch,
  };
}

/** POSTs a body to the API. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${url}/v1/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(principals.only.decide), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}
