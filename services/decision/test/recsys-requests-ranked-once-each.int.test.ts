import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import {
  connectRedis,
  createAvroSerde,
  createLogger,
  createProducer,
  createRegistryClient,
  type DeadLetter,
  deleteMatching,
} from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import {
  type EnrichedRequest,
  type Recommendation,
  type RecommendationScores,
  schemaFor,
  valueSubject,
} from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../src/config.js';
import { createDecisionEngine, type DecisionEngine } from '../src/engine.js';
import { parseRankingPolicy } from '../src/ranking/policy.js';
import { rank } from '../src/ranking/rank.js';
import { openPolicyStore, type PolicyStore } from '../src/rules/store.js';
import { recsysChampion, recsysFixture } from '../src/testing.js';
import { recsysUseCase } from '../src/use-cases/recsys.js';
import { until } from './harness.js';

// Generous: the test asserts the path taken, not the machine's speed. A request waits this long
// for its scores, so the scores sent right after it find it waiting.
const BUDGET = 5_000;

const policy = parseRankingPolicy(readFileSync(defaultRecsysPolicyFile, 'utf8'), recsysFeatureSet);
const fixture = recsysFixture(10);
const champion = recsysChampion();

/** The same fixture request under another id and user (a fresh request for the engine). */
function renamed(n: number, id: string): { event: EnrichedRequest; scores: RecommendationScores } {
  const f = fixture[n % fixture.length] as (typeof fixture)[number];
  const user = `U-${id}`;
  return {
    event: { ...f.event, request: { ...f.event.request, request_id: id, user_id: user } },
    scores: { ...f.scores, request_id: id, user_id: user },
  };
}

/** What rank() gives the request with these scores (null: the fallback order). */
function expected(event: EnrichedRequest, scores: RecommendationScores | null) {
  const candidates = event.features.candidates.map((c, i) => ({ ...c, score: scores?.scores[i] ?? null }));
  return rank(policy, candidates, event.request.k, event.request.request_id).items;
}

describe('recommendations: requests joined with their scores, ranked by the policy, once each', () => {
  const kafka = testKafka('decision-recsys-test');
  const topics = {
    enriched: uniqueName('enriched-requests'),
    scores: uniqueName('recsys-scores'),
    decisions: uniqueName('recommendations'),
    deadLetters: uniqueName('dlq'),
  };
  const keyPrefix = `${uniqueName('drtest')}:`;
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const producer = createProducer(kafka);
  const reader = kafka.consumer({ groupId: uniqueName('reader') });
  const recommendations: Recommendation[] = [];
  const deadLetters: DeadLetter[] = [];
  const engines: { engine: DecisionEngine; policies: PolicyStore<unknown> }[] = [];
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  let sendRequests: (events: EnrichedRequest[]) => Promise<void>;
  let sendScores: (scores: RecommendationScores[]) => Promise<void>;

  async function startEngine(groupId: string) {
    const dir = mkdtempSync(join(tmpdir(), 'decision-recsys-'));
    const file = join(dir, 'recsys.yaml');
    copyFileSync(defaultRecsysPolicyFile, file);
    const policies = await openPolicyStore({
      file,
      parse: (text, f) => parseRankingPolicy(text, recsysFeatureSet, f),
      pollMs: 1000,
    });
    const engine = await createDecisionEngine({
      kafka,
      serde,
      redis,
      logger: createLogger('decision-recsys-test', 'silent'),
      service: 'decision-test',
      groupId,
      topics,
      useCase: recsysUseCase(policies, recsysFeatureSet),
      budgetMs: BUDGET,
      keyPrefix,
      ttl: { scoresMs: 600_000, decidedMs: 600_000 },
      fromBeginning: true,
    });
    await engine.start();
    engines.push({ engine, policies });
    return engine;
  }

  beforeAll(async () => {
    // One partition: a request's recommendation out means every request before it was handled.
    for (const t of Object.values(topics)) await createTopic(kafka, t, 1);
    redis = await connectRedis({
      REDIS_URL: servers().REDIS_URL,
      REDIS_TLS_CA: servers().REDIS_TLS_CA,
      REDIS_CLUSTER: false,
    });
    await producer.connect();
    const requestEncoder = await serde.encoder<EnrichedRequest>(
      valueSubject(topics.enriched),
      schemaFor('recsys/enriched-request').type,
    );
    const scoresEncoder = await serde.encoder<RecommendationScores>(
      valueSubject(topics.scores),
      schemaFor('recsys/score').type,
    );
    sendRequests = async (events) =>
      void (await producer.send({
        topic: topics.enriched,
        acks: -1,
        messages: events.map((e) => ({ key: e.request.user_id, value: requestEncoder.encode(e) })),
      }));
    sendScores = async (list) =>
      void (await producer.send({
        topic: topics.scores,
        acks: -1,
        messages: list.map((s) => ({ key: s.user_id, value: scoresEncoder.encode(s) })),
      }));
    const recDecoder = serde.decoder<Recommendation>(schemaFor('recsys/recommendation').type);
    const letterDecoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
    await reader.connect();
    await reader.subscribe({ topics: [topics.decisions, topics.deadLetters], fromBeginning: true });
    await reader.run({
      eachBatch: async ({ batch }) => {
        const decoder = batch.topic === topics.decisions ? recDecoder : letterDecoder;
        await decoder.prepare(batch.messages.map((m) => m.value));
        for (const m of batch.messages) {
          if (batch.topic === topics.decisions) {
            const r = recDecoder.decode(m.value);
            if (m.key?.toString() !== r.user_id) throw new Error(`recommendation ${r.request_id} not keyed by user`);
            recommendations.push(r);
          } else deadLetters.push(letterDecoder.decode(m.value));
        }
      },
    });
  });

  afterAll(async () => {
    for (const { engine, policies } of engines) {
      await engine.stop();
      policies.close();
    }
    await reader.disconnect();
    await producer.disconnect();
    await deleteMatching(redis, `${keyPrefix}*`);
    redis.disconnect();
  });

  const of = (id: string) => recommendations.filter((r) => r.request_id === id);

  it('ranks each request as rank() does with its champion scores, on the fallback order without them, once', async () => {
    await startEngine(uniqueName('decision'));
    const [early, after, shadowed, missing] = [
      renamed(0, 'early'),
      renamed(1, 'after'),
      renamed(2, 'shadowed'),
      renamed(3, 'missing'),
    ];
    // Scores before their request are held; scores after it wake it; a shadow's never rank.
    await sendScores([early.scores]);
    await sendRequests([early.event, after.event, shadowed.event, missing.event]);
    const shadow = {
      ...shadowed.scores,
      shadow: true,
      model_name: 'recsys_rank_v2',
      scores: shadowed.scores.scores.map((s) => 1 - s),
    };
    await sendScores([after.scores, shadow, shadowed.scores]);
    await until(
      () => [early, after, shadowed, missing].every((f) => of(f.event.request.request_id).length > 0),
      'recommendations',
    );

    for (const f of [early, after, shadowed]) {
      const [rec] = of(f.event.request.request_id);
      expect(rec?.items).toEqual(expected(f.event, f.scores));
      expect(rec).toMatchObject({
        user_id: f.event.request.user_id,
        event_time: f.event.request.event_time,
        path: 'MODEL_AND_RULES',
        rule_set_version: policy.version,
        model_name: champion.name,
        model_version: champion.version,
        feature_set_version: recsysFeatureSet.version,
        experiment_variant: 'control',
      });
      expect(rec?.items).toHaveLength(10);
    }
    const [fallback] = of('missing');
    expect(fallback?.items).toEqual(expected(missing.event, null));
    expect(fallback).toMatchObject({ path: 'RULES_ONLY', model_name: null, model_version: null });
    expect(fallback?.items.every((i) => i.score === null)).toBe(true);

    // Redelivered requests and scores (and the missing request's late scores), then a fresh request
    // behind them: once its recommendation is out, the redeliveries were handled, with nothing emitted.
    await sendRequests([early.event, missing.event]);
    await sendScores([early.scores, { ...missing.scores, scores: missing.scores.scores.map(() => 0.5) }, after.scores]);
    await sendRequests([after.event]);
    const sentinel = renamed(0, 'sentinel');
    await sendScores([sentinel.scores]);
    await sendRequests([sentinel.event]);
    await until(() => of('sentinel').length === 1, 'the request behind the redeliveries');

    // A replay of both topics by a new group (a new deployment, a lost offset) while the first engine
    // is gone: the request behind the replay is its first recommendation, nothing decided again.
    for (const stopped of engines.splice(0)) {
      await stopped.engine.stop();
      stopped.policies.close();
    }
    await startEngine(uniqueName('decision-replay'));
    const last = renamed(1, 'after-replay');
    await sendScores([last.scores]);
    await sendRequests([last.event]);
    await until(() => of('after-replay').length > 0, 'the request behind the replay');
    expect(recommendations.map((r) => r.request_id).sort()).toEqual([
      'after',
      'after-replay',
      'early',
      'missing',
      'sentinel',
      'shadowed',
    ]);
  });

  it('dead-letters requests of another feature set, invalid messages, and scores of another candidate count, with the reason', async () => {
    const otherSet = renamed(0, 'other-set').event;
    otherSet.features = { ...otherSet.features, feature_set: 'fraud_core' };
    const invalid = renamed(1, 'no-k').event;
    invalid.request = { ...invalid.request, k: 0 };
    const waiting = renamed(2, 'short-waiting');
    const early = renamed(3, 'short-early');
    const short = (s: RecommendationScores) => ({ ...s, scores: s.scores.slice(1) });
    const nan = { ...renamed(0, 'nan-score').scores, scores: [Number.NaN] };
    // One held before its request, one for a request waiting here: both dead-lettered.
    await sendScores([short(early.scores), nan]);
    await sendRequests([otherSet, invalid, waiting.event, early.event]);
    await sendScores([short(waiting.scores)]);
    await until(() => deadLetters.length >= 5, 'dead letters');
    await until(() => of('short-waiting').length === 1 && of('short-early').length === 1, 'their fallback rankings');
    const v = recsysFeatureSet.version;
    const ref = `${champion.name} ${champion.version}`;
    const reasons = deadLetters
      .map((l) => `${l.topic === topics.scores ? 'scores' : 'request'}: ${l.error_type}: ${l.error}`)
      .sort();
    expect(reasons).toEqual([
      `request: FeatureSetMismatchError: feature set fraud_core v${v} is not recsys_core v${v} that the policy is written against`,
      expect.stringMatching(/^request: MalformedMessageError: .*k/),
      'scores: MalformedMessageError: scores[0] is NaN, not a finite number',
      `scores: ScoreMismatchError: scores of ${ref} for request short-early: 49 scores, the request has 50 candidates`,
      `scores: ScoreMismatchError: scores of ${ref} for request short-waiting: 49 scores, the request has 50 candidates`,
    ]);
    // Scores that do not fit never rank: their requests fall back to the policy's order.
    for (const id of ['short-waiting', 'short-early']) expect(of(id)[0]?.path).toBe('RULES_ONLY');
    expect(of('other-set')).toEqual([]);
    expect(of('no-k')).toEqual([]);
  });
});
