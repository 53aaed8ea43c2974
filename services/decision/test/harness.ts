import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AvroSerde,
  connectRedis,
  createAvroSerde,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  deleteMatching,
  type Encoder,
  type IHeaders,
  type Kafka,
  type Producer,
  type RedisClient,
  type RedisTarget,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type Decision, type EnrichedTransaction, type Score, schemaFor, valueSubject } from '@pipeline/topology';
import { createDecisionEngine, type DecisionEngine } from '../src/engine.js';
import type { FeatureSetLike } from '../src/feature-set.js';
import { openRuleStore, type RuleStore } from '../src/rules/store.js';
import { fraudUseCase } from '../src/use-cases/fraud.js';

export interface World {
  kafka: Kafka;
  serde: AvroSerde;
  redis: RedisClient;
  producer: Producer;
  topics: { enriched: string; scores: string; decisions: string; deadLetters: string };
  keyPrefix: string;
  rulesFile: string;
  enriched: Encoder<EnrichedTransaction>;
  scores: Encoder<Score>;
  /** Every decision read so far, in arrival order. */
  decisions: Decision[];
  deadLetters: DeadLetter[];
  startEngine(options: {
    budgetMs: number;
    catchUp?: { afterMs: number; budgetMs: number };
    groupId?: string;
    /** Another Redis client for the engine (e.g. one the test breaks). */
    redis?: RedisClient;
    onCrash?: (error: Error) => void;
  }): Promise<{ engine: DecisionEngine; rules: RuleStore }>;
  sendEnriched(events: EnrichedTransaction[], headers?: IHeaders): Promise<void>;
  sendScores(scores: Score[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fresh topics, Redis prefix and rule file for one test; a reader collecting decisions and dead
 * letters. `redis` picks the Redis (default: the test servers' one, REDIS_CLUSTER=false).
 */
export async function createWorld(
  rules: string,
  featureSet: FeatureSetLike,
  partitions = 3,
  redisTarget: RedisTarget = {
    REDIS_URL: servers().REDIS_URL,
    REDIS_TLS_CA: servers().REDIS_TLS_CA,
    REDIS_CLUSTER: false,
  },
): Promise<World> {
  const kafka = testKafka('decision-test');
  const topics = {
    enriched: uniqueName('enriched'),
    scores: uniqueName('scores'),
    decisions: uniqueName('decisions'),
    deadLetters: uniqueName('dlq'),
  };
  for (const t of Object.values(topics)) await createTopic(kafka, t, partitions);
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const redis = await connectRedis(redisTarget);
  const producer = createProducer(kafka);
  await producer.connect();
  const dir = mkdtempSync(join(tmpdir(), 'decision-rules-'));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, rules);
  const enriched = await serde.encoder<EnrichedTransaction>(
    valueSubject(topics.enriched),
    schemaFor('fraud/enriched-transaction').type,
  );
  const scores = await serde.encoder<Score>(valueSubject(topics.scores), schemaFor('fraud/score').type);

  const decisions: Decision[] = [];
  const deadLetters: DeadLetter[] = [];
  const reader = kafka.consumer({ groupId: uniqueName('reader') });
  const decisionDecoder = serde.decoder<Decision>(schemaFor('fraud/decision').type);
  const letterDecoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
  await reader.connect();
  await reader.subscribe({ topics: [topics.decisions, topics.deadLetters], fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const decoder = batch.topic === topics.decisions ? decisionDecoder : letterDecoder;
      await decoder.prepare(batch.messages.map((m) => m.value));
      for (const m of batch.messages) {
        if (batch.topic === topics.decisions) {
          const d = decisionDecoder.decode(m.value);
          if (m.key?.toString() !== d.customer_id) throw new Error(`decision ${d.event_id} not keyed by customer`);
          decisions.push(d);
        } else deadLetters.push(letterDecoder.decode(m.value));
      }
    },
  });

  const running: { engine: DecisionEngine; rules: RuleStore }[] = [];
  const keyPrefix = `${uniqueName('dtest')}:`;
  return {
    kafka,
    serde,
    redis,
    producer,
    topics,
    keyPrefix,
    rulesFile,
    enriched,
    scores,
    decisions,
    deadLetters,
    async startEngine({ budgetMs, catchUp, groupId = uniqueName('decision'), redis: engineRedis = redis, onCrash }) {
      const logger = createLogger('decision-test', 'silent');
      const rules = await openRuleStore({ file: rulesFile, featureSet, pollMs: 100 });
      const engine = await createDecisionEngine({
        kafka,
        serde,
        redis: engineRedis,
        logger,
        onCrash,
        service: 'decision-test',
        groupId,
        topics,
        useCase: fraudUseCase(rules, featureSet),
        budgetMs,
        catchUp,
        keyPrefix,
        ttl: { scoresMs: 600_000, decidedMs: 600_000 },
        fromBeginning: true,
      });
      await engine.start();
      running.push({ engine, rules });
      return { engine, rules };
    },
    async sendEnriched(events, headers) {
      await producer.send({
        topic: topics.enriched,
        acks: -1,
        messages: events.map((e) => ({ key: e.transaction.customer_id, value: enriched.encode(e), headers })),
      });
    },
    async sendScores(list) {
      await producer.send({
        topic: topics.scores,
        acks: -1,
        messages: list.map((s) => ({ key: s.customer_id, value: scores.encode(s) })),
      });
    },
    async close() {
      for (const r of running) {
        await r.engine.stop();
        r.rules.close();
      }
      await reader.disconnect();
      await producer.disconnect();
      await deleteMatching(redis, `${keyPrefix}*`);
      redis.disconnect();
    },
  };
}

/** Polls until `check` holds; generous by default, for a loaded two-core machine. */
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event ids that got more than one decision. */
export function duplicates(decisions: readonly Decision[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const d of decisions) {
    if (seen.has(d.event_id)) twice.add(d.event_id);
    seen.add(d.event_id);
  }
  return [...twice];
}
