import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import { connectRedis, createAvroSerde, createProducer, createRegistryClient, deleteMatching } from '@pipeline/shared';
import { createTopic, securityEnv, servers, testKafka, testPrincipals, uniqueName } from '@pipeline/testing';
import {
  type Decision,
  type EnrichedRequest,
  type EnrichedTransaction,
  type Recommendation,
  type RecommendationScores,
  type Score,
  schemaFor,
  valueSubject,
} from '@pipeline/topology';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRecsysPolicyFile } from '../src/config.js';
import { parseRankingPolicy } from '../src/ranking/policy.js';
import { enriched, recsysFixture, score } from '../src/testing.js';
import { recommend } from '../src/use-cases/recsys.js';
import { until } from './harness.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * The service as its own process (src/main.ts) with DECISION_USE_CASES=fraud,recsys: both use cases
 * declared, both deciding in one process, each on its own topics.
 */
describe('the decision service with DECISION_USE_CASES=fraud,recsys', () => {
  const kafka = testKafka('decision-process-test');
  const topics = {
    enriched: uniqueName('enriched'),
    scores: uniqueName('scores'),
    decisions: uniqueName('decisions'),
    requests: uniqueName('enriched-requests'),
    recsysScores: uniqueName('recsys-scores'),
    recommendations: uniqueName('recommendations'),
    deadLetters: uniqueName('dlq'),
    audit: uniqueName('audit'),
  };
  const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
  const producer = createProducer(kafka);
  const reader = kafka.consumer({ groupId: uniqueName('reader') });
  let child: ChildProcess | undefined;
  const keyPrefix = `${uniqueName('dproc')}:`;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await reader.disconnect();
    await producer.disconnect();
    const redis = await connectRedis({
      REDIS_URL: servers().REDIS_URL,
      REDIS_TLS_CA: servers().REDIS_TLS_CA,
      REDIS_CLUSTER: false,
    });
    await deleteMatching(redis, `${keyPrefix}*`);
    redis.disconnect();
  });

  it('decides a transaction and ranks a request, each on its own topics, and stops cleanly', async () => {
    for (const t of Object.values(topics)) await createTopic(kafka, t, 1);
    // The service's new groups would start at the topics' ends: committed at 0 beforehand, they read
    // what this test sends whenever the service comes up.
    const groups = { fraud: uniqueName('decision'), recsys: uniqueName('decision-recsys') };
    const admin = kafka.admin();
    await admin.connect();
    for (const [groupId, topic] of [
      [groups.fraud, topics.enriched],
      [`${groups.fraud}.scores`, topics.scores],
      [groups.recsys, topics.requests],
      [`${groups.recsys}.scores`, topics.recsysScores],
    ] as const)
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();
    const s = servers();
    child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        ...process.env,
        ...securityEnv(),
        KAFKA_BROKERS: s.KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
        REDIS_URL: s.REDIS_URL,
        SERVICE_NAME: 'decision-test',
        HTTP_AUTH_TOKENS: testPrincipals().env,
        LOG_LEVEL: 'error',
        DECISION_USE_CASES: 'fraud,recsys',
        DECISION_SCORE_BUDGET: '5s',
        DECISION_GROUP_ID: groups.fraud,
        DECISION_RECSYS_GROUP_ID: groups.recsys,
        DECISION_REDIS_PREFIX: keyPrefix,
        DECISION_ENRICHED_TOPIC: topics.enriched,
        DECISION_SCORES_TOPIC: topics.scores,
        DECISION_DECISIONS_TOPIC: topics.decisions,
        DECISION_RECSYS_ENRICHED_TOPIC: topics.requests,
        DECISION_RECSYS_SCORES_TOPIC: topics.recsysScores,
        DECISION_RECSYS_RECOMMENDATIONS_TOPIC: topics.recommendations,
        DECISION_DEAD_LETTER_TOPIC: topics.deadLetters,
        DECISION_AUDIT_TOPIC: topics.audit,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });

    const decisions: Decision[] = [];
    const recommendations: Recommendation[] = [];
    const decisionDecoder = serde.decoder<Decision>(schemaFor('fraud/decision').type);
    const recDecoder = serde.decoder<Recommendation>(schemaFor('recsys/recommendation').type);
    await reader.connect();
    await reader.subscribe({ topics: [topics.decisions, topics.recommendations], fromBeginning: true });
    await reader.run({
      eachBatch: async ({ batch }) => {
        const decoder = batch.topic === topics.decisions ? decisionDecoder : recDecoder;
        await decoder.prepare(batch.messages.map((m) => m.value));
        for (const m of batch.messages) {
          if (batch.topic === topics.decisions) decisions.push(decisionDecoder.decode(m.value));
          else recommendations.push(recDecoder.decode(m.value));
        }
      },
    });

    await producer.connect();
    const encoder = <T>(topic: string, schema: string) => serde.encoder<T>(valueSubject(topic), schemaFor(schema).type);
    const txEncoder = await encoder<EnrichedTransaction>(topics.enriched, 'fraud/enriched-transaction');
    const scoreEncoder = await encoder<Score>(topics.scores, 'fraud/score');
    const requestEncoder = await encoder<EnrichedRequest>(topics.requests, 'recsys/enriched-request');
    const recsysScoresEncoder = await encoder<RecommendationScores>(topics.recsysScores, 'recsys/score');
    const tx = enriched(
      { event_id: 'tx-1', customer_id: 'C1' },
      fraudFeatureSet.names.map(() => 0),
      fraudFeatureSet,
    );
    const txScore = score('tx-1', 0.01, { feature_set_version: fraudFeatureSet.version, contributions: [] });
    const [request] = recsysFixture(10);
    if (!request) throw new Error('no fixture request');
    // Scores first: both are held, and the events find them on arrival whenever the service is up.
    await producer.send({
      topic: topics.scores,
      acks: -1,
      messages: [{ key: 'C1', value: scoreEncoder.encode(txScore) }],
    });
    await producer.send({
      topic: topics.recsysScores,
      acks: -1,
      messages: [{ key: request.scores.user_id, value: recsysScoresEncoder.encode(request.scores) }],
    });
    await producer.send({ topic: topics.enriched, acks: -1, messages: [{ key: 'C1', value: txEncoder.encode(tx) }] });
    await producer.send({
      topic: topics.requests,
      acks: -1,
      messages: [{ key: request.event.request.user_id, value: requestEncoder.encode(request.event) }],
    });

    await until(() => decisions.length > 0 && recommendations.length > 0, 'a decision and a recommendation', 90_000);
    expect(decisions.map((d) => [d.event_id, d.path, d.score])).toEqual([['tx-1', 'MODEL_AND_RULES', 0.01]]);
    const policy = parseRankingPolicy(readFileSync(defaultRecsysPolicyFile, 'utf8'), recsysFeatureSet);
    const [rec] = recommendations;
    expect(rec).toEqual({
      ...recommend({ policy, event: request.event, scores: request.scores, now: 0 }),
      decided_at: rec?.decided_at,
    });

    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
