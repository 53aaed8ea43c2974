import { readFileSync } from 'node:fs';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  type AvroSerde,
  createAvroSerde,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  type Encoder,
  type Kafka,
  type Producer,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type EnrichedTransaction, type Score, schemaFor, valueSubject } from '@pipeline/topology';
import { loadServingSet } from '../src/models.js';
import { createScoringPool, type ScoringPool } from '../src/pool.js';
import { type RegistryUnderTest, registriesUnderTest } from '../src/registry/test-registries.js';
import { committedModelDir } from '../src/registry/test-registry.js';
import type { ModelRegistry } from '../src/registry/types.js';
import { createScorer, type Scorer } from '../src/scorer.js';
import { createModelWatcher, type ModelWatcher } from '../src/watcher.js';

const fixture = JSON.parse(readFileSync(`${committedModelDir}fixture.json`, 'utf8')) as {
  vectors: (number | null)[][];
};

/** The i-th enriched event, its vector one of the fixture's (NaN where the fixture has null). */
export function enrichedEvent(i: number, prefix: string): EnrichedTransaction {
  const vector = fixture.vectors[i % fixture.vectors.length] as (number | null)[];
  return {
    transaction: {
      event_id: `${prefix}-${i}`,
      event_time: Date.UTC(2026, 0, 1) + i * 1000,
      customer_id: `C${i % 17}`,
      terminal_id: `T${i % 13}`,
      amount_minor: 1000 + i,
      currency: 'EUR',
      channel: 'POS',
      country: 'PT',
      device_hash: null,
      ip_hash: null,
    },
    features: {
      feature_set: fraudFeatureSet.name,
      version: fraudFeatureSet.version,
      values: vector.map((v) => (v === null ? Number.NaN : v)),
    },
    computed_at: Date.now(),
  };
}

export interface World {
  kafka: Kafka;
  registry: ModelRegistry;
  addVersion: RegistryUnderTest['addVersion'];
  topics: { enriched: string; scores: string; deadLetters: string };
  scores: Score[];
  deadLetters: DeadLetter[];
  watcher: ModelWatcher;
  send(events: EnrichedTransaction[]): Promise<void>;
  /** Resolves once `predicate` holds over what was read, or fails after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fresh topics, a temporary registry (the committed baseline as champion; file-backed, or a
 * registered model of its own on the test MLflow), a pool, a scorer and a reader.
 */
export async function createWorld(
  options: { pollMs?: number; maxWaitMs?: number; registry?: RegistryUnderTest['kind'] } = {},
): Promise<World> {
  const kafka = testKafka('scorer-test');
  const topics = { enriched: uniqueName('enriched'), scores: uniqueName('scores'), deadLetters: uniqueName('dlq') };
  for (const t of Object.values(topics)) await createTopic(kafka, t, 3);
  const serde: AvroSerde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  const encoder: Encoder<EnrichedTransaction> = await serde.encoder<EnrichedTransaction>(
    valueSubject(topics.enriched),
    schemaFor('fraud/enriched-transaction').type,
  );

  const temp = await registriesUnderTest[options.registry ?? 'file']();
  const registry = temp.registry;
  const pool: ScoringPool = createScoringPool({ threads: 2 });
  const load = () => loadServingSet(registry, { featureSet: fraudFeatureSet, pool, explainShadows: false });
  const watcher = createModelWatcher({ registry, initial: await load(), load, pollMs: options.pollMs ?? 100 });
  const scorer: Scorer = await createScorer({
    kafka,
    serde,
    logger: createLogger('scorer-test', 'silent'),
    service: 'scorer-test',
    groupId: uniqueName('scorer'),
    topics,
    pool,
    featureSet: fraudFeatureSet,
    models: watcher.current,
    batch: { maxSize: 64, maxWaitMs: options.maxWaitMs ?? 2, explainMinScore: 0.05 },
    fromBeginning: true,
  });
  await scorer.start();

  const scores: Score[] = [];
  const deadLetters: DeadLetter[] = [];
  const scoreDecoder = serde.decoder<Score>(schemaFor('fraud/score').type);
  const letterDecoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
  const reader = kafka.consumer({ groupId: uniqueName('reader') });
  await reader.connect();
  await reader.subscribe({ topics: [topics.scores, topics.deadLetters], fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const decoder = batch.topic === topics.scores ? scoreDecoder : letterDecoder;
      await decoder.prepare(batch.messages.map((m) => m.value));
      for (const m of batch.messages) {
        if (batch.topic === topics.scores) {
          const s = scoreDecoder.decode(m.value);
          if (m.key?.toString() !== s.customer_id) throw new Error(`score ${s.event_id} not keyed by customer`);
          scores.push(s);
        } else deadLetters.push(letterDecoder.decode(m.value));
      }
    },
  });

  return {
    kafka,
    registry,
    addVersion: temp.addVersion,
    topics,
    scores,
    deadLetters,
    watcher,
    async send(events) {
      await producer.send({
        topic: topics.enriched,
        acks: -1,
        messages: events.map((e) => ({ key: e.transaction.customer_id, value: encoder.encode(e) })),
      });
    },
    async until(what, predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      watcher.stop();
      await scorer.stop();
      await reader.disconnect();
      await producer.disconnect();
      await pool.close();
    },
  };
}
