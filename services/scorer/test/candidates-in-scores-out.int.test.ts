import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import {
  createAvroSerde,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  type Producer,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { type EnrichedRequest, type RecommendationScores, schemaFor, valueSubject } from '@pipeline/topology';
import { afterEach, describe, expect, it } from 'vitest';
import { createCandidatesScorer } from '../src/candidates-scorer.js';
import { loadServingSet } from '../src/models.js';
import { createScoringPool, type ScoringPool } from '../src/pool.js';
import { type RegistryUnderTest, registriesUnderTest } from '../src/registry/test-registries.js';
import type { Scorer } from '../src/scorer.js';
import { createModelWatcher, type ModelWatcher } from '../src/watcher.js';

// The committed champion ranking model (models/aliases.json) and its fixture: whole held-out requests
// with the Python onnxruntime's scores.
const models = new URL('../../../models/', import.meta.url);
const champion = (
  JSON.parse(readFileSync(new URL('aliases.json', models), 'utf8')) as { scopes: Record<string, { champion: string }> }
).scopes[recsysFeatureSet.name]?.champion as string;
const rankerDir = fileURLToPath(new URL(`${champion.replace('@', '/')}/`, models));
const fixture = JSON.parse(readFileSync(`${rankerDir}fixture.json`, 'utf8')) as {
  batches: { request_id: string; from: number; to: number }[];
  vectors: (number | null)[][];
  onnxruntime: number[];
};

/** The fixture's b-th request as the feature service enriches it (NaN where the fixture has null). */
function fixtureRequest(b: number, prefix: string): EnrichedRequest {
  const { request_id, from, to } = fixture.batches[b] as (typeof fixture.batches)[number];
  const items = Array.from({ length: to - from }, (_, k) => `I${b}-${k}`);
  return {
    request: {
      request_id: `${prefix}-${request_id}`,
      event_time: Date.UTC(2026, 0, 13) + b * 1000,
      user_id: `U${b}`,
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: items,
      candidate_source: null,
      k: 10,
    },
    features: {
      feature_set: recsysFeatureSet.name,
      version: recsysFeatureSet.version,
      candidates: fixture.vectors.slice(from, to).map((v, k) => ({
        item_id: items[k] as string,
        category: 'c1',
        values: v.map((x) => (x === null ? Number.NaN : x)),
      })),
    },
    computed_at: Date.now(),
  };
}

interface RecsysWorld {
  temp: RegistryUnderTest;
  ranker: string;
  watcher: ModelWatcher;
  scores: RecommendationScores[];
  deadLetters: DeadLetter[];
  send(values: (EnrichedRequest | Buffer)[]): Promise<void>;
  until(what: string, predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

let world: RecsysWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/**
 * Topics of its own, a registry of either kind whose default scope holds the fraud champion, the
 * committed ranker registered beside it and promoted as recsys_core's champion, the candidates scorer
 * serving recsys_core from that registry, and a reader of its scores and dead letters.
 */
async function createRecsysWorld(kind: RegistryUnderTest['kind']): Promise<RecsysWorld> {
  const kafka = testKafka('scorer-recsys-test');
  const topics = {
    enriched: uniqueName('enriched-requests'),
    scores: uniqueName('recsys-scores'),
    deadLetters: uniqueName('dlq'),
  };
  for (const t of Object.values(topics)) await createTopic(kafka, t, 3);
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  const encoder = await serde.encoder<EnrichedRequest>(
    valueSubject(topics.enriched),
    schemaFor('recsys/enriched-request').type,
  );

  const temp = await registriesUnderTest[kind]();
  const ranker = await temp.addModel('recsys_rank', rankerDir);
  await temp.registry.promote(ranker, 'champion', { by: 'test', why: 'the ranker serves recommendations' });
  const pool: ScoringPool = createScoringPool({ threads: 2 });
  const load = () =>
    loadServingSet(temp.registry, { featureSet: recsysFeatureSet, pool, explainShadows: false, explain: false });
  const watcher = createModelWatcher({
    registry: temp.registry,
    scope: recsysFeatureSet.name,
    initial: await load(),
    load,
    pollMs: 100,
  });
  const scorer: Scorer = await createCandidatesScorer({
    kafka,
    serde,
    logger: createLogger('scorer-recsys-test', 'silent'),
    service: 'scorer-recsys-test',
    groupId: uniqueName('scorer-recsys'),
    topics,
    pool,
    featureSet: recsysFeatureSet,
    models: watcher.current,
    fromBeginning: true,
  });
  await scorer.start();

  const scores: RecommendationScores[] = [];
  const deadLetters: DeadLetter[] = [];
  const scoreDecoder = serde.decoder<RecommendationScores>(schemaFor('recsys/score').type);
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
          if (m.key?.toString() !== s.user_id) throw new Error(`scores of ${s.request_id} not keyed by user`);
          scores.push(s);
        } else deadLetters.push(letterDecoder.decode(m.value));
      }
    },
  });

  return {
    temp,
    ranker,
    watcher,
    scores,
    deadLetters,
    async send(values) {
      await producer.send({
        topic: topics.enriched,
        acks: -1,
        messages: values.map((v) =>
          Buffer.isBuffer(v) ? { key: 'U-bad', value: v } : { key: v.request.user_id, value: encoder.encode(v) },
        ),
      });
    },
    async until(what, predicate) {
      const deadline = Date.now() + 60_000;
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

describe.each(['file', 'mlflow'] as const)('model registry (%s): a champion per feature set', (kind) => {
  it("promotes and rolls back recsys_core's champion, the fraud champion untouched, as another process reads it", async () => {
    const temp = await registriesUnderTest[kind]();
    const fraud = (await temp.registry.aliases()).champion;
    const first = await temp.addModel('recsys_rank', rankerDir);
    const second = await temp.addModel('recsys_rank', rankerDir);
    const who = { by: 'test', why: 'per use case' };
    await temp.registry.promote(first, 'champion', who);
    await temp.registry.promote(second, 'champion', who);
    const promoted = await temp.reopen().aliases();
    expect(promoted.champion).toBe(fraud);
    expect(promoted.scopes?.recsys_core).toMatchObject({ champion: second, archived: [first] });
    await temp.registry.rollback({ by: 'test', why: 'back' }, 'recsys_core');
    const back = await temp.reopen().aliases();
    expect(back.champion).toBe(fraud);
    expect(back.scopes?.recsys_core).toMatchObject({ champion: first, archived: [second] });
    expect(back.scopes?.recsys_core?.history.map((h) => [h.action, h.ref, h.previous])).toEqual([
      ['promote', first, null],
      ['promote', second, first],
      ['rollback', first, second],
    ]);
    // The default scope has nothing to roll back to: its own history, not the ranker's.
    await expect(temp.registry.rollback({ by: 'test', why: 'none' })).rejects.toThrow(/nothing to roll back to/);
  });
});

describe.each(['file', 'mlflow'] as const)(
  'scorer, recommendations (%s registry): enriched requests in, recsys.scores out',
  (kind) => {
    it("scores each request's candidates as one batch with recsys_core's champion and shadow, as onnxruntime does", async () => {
      world = await createRecsysWorld(kind);
      const w = world;
      // A shadow of the ranker's scope; the fraud champion of the default scope is not served here.
      const shadow = await w.temp.addModel('recsys_rank', rankerDir);
      await w.temp.registry.promote(shadow, 'shadow', { by: 'test', why: 'shadow ranker' });
      await w.watcher.check();
      expect(w.watcher.current().champion.ref).toBe(w.ranker);
      expect(w.watcher.current().shadows.map((m) => m.ref)).toEqual([shadow]);
      expect((await w.temp.registry.aliases()).champion).toMatch(/^fraud_gbdt/);

      const requests = fixture.batches.map((_, b) => fixtureRequest(b, `ok-${kind}`));
      await w.send(requests);
      await w.until(`${requests.length * 2} score events`, () => w.scores.length >= requests.length * 2);
      await new Promise((r) => setTimeout(r, 500)); // nothing extra arrives
      expect(w.scores.length).toBe(requests.length * 2);
      expect(w.deadLetters).toEqual([]);
      for (const [b, request] of requests.entries()) {
        const { from, to } = fixture.batches[b] as (typeof fixture.batches)[number];
        const mine = w.scores.filter((s) => s.request_id === request.request.request_id);
        expect(mine.map((s) => `${s.model_name}@${s.model_version}:${s.shadow}`).sort()).toEqual(
          [`${w.ranker}:false`, `${shadow}:true`].sort(),
        );
        for (const s of mine) {
          expect(s).toMatchObject({
            user_id: request.request.user_id,
            event_time: request.request.event_time,
            feature_set_version: recsysFeatureSet.version,
          });
          expect(s.scores.length).toBe(to - from);
          s.scores.forEach((score, i) => {
            expect(Math.abs(score - (fixture.onnxruntime[from + i] as number))).toBeLessThan(1e-5);
          });
          expect(s.latency_ms).toBeGreaterThan(0);
        }
      }
    });

    it('dead-letters requests of another feature set or version, a wrong width, an invalid request and non-Avro bytes, with the reason', async () => {
      world = await createRecsysWorld(kind);
      const w = world;
      const good = fixtureRequest(0, `good-${kind}`);
      const otherSet = fixtureRequest(1, `other-set-${kind}`);
      otherSet.features.feature_set = fraudFeatureSet.name;
      const otherVersion = fixtureRequest(1, `other-version-${kind}`);
      otherVersion.features.version = recsysFeatureSet.version + 1;
      const short = fixtureRequest(2, `short-${kind}`);
      for (const c of short.features.candidates) c.values = c.values.slice(0, 10);
      const missing = fixtureRequest(3, `missing-${kind}`);
      missing.features.candidates = missing.features.candidates.slice(1);
      await w.send([good, otherSet, otherVersion, short, missing, Buffer.from('not avro')]);
      await w.until('5 dead letters and 1 score', () => w.deadLetters.length >= 5 && w.scores.length >= 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(w.scores.map((s) => s.request_id)).toEqual([good.request.request_id]);
      expect(w.deadLetters.length).toBe(5);
      const reasons = w.deadLetters.map((d) => `${d.error_type}: ${d.error}`).join('\n');
      const v = recsysFeatureSet.version;
      expect(reasons).toContain(`VectorMismatchError: feature set fraud_core v${v} is not recsys_core v${v}`);
      expect(reasons).toContain(`VectorMismatchError: feature set recsys_core v${v + 1} is not recsys_core v${v}`);
      expect(reasons).toContain(
        `VectorMismatchError: candidate vectors have 10 values; recsys_core v${v} declares ${recsysFeatureSet.names.length}`,
      );
      expect(reasons).toContain('InvalidRequestError: 49 candidate vectors for 50 candidate_item_ids');
      expect(w.deadLetters.every((d) => d.service === 'scorer-recsys-test')).toBe(true);
    });
  },
);
