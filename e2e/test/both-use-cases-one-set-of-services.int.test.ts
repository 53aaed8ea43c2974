import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRecsysPolicyFile, parseRankingPolicy, rank } from '@pipeline/decision';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { simulate, simulateRecsys } from '@pipeline/loadtest';
import { readMessages, servers } from '@pipeline/testing';
import {
  type Decision,
  type EnrichedRequest,
  type Recommendation,
  type RecommendationScores,
  recsysTopics,
  type Score,
  schemaFor,
} from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId, runNamespace } from '../src/run/namespace.js';
import { type RunningPipeline, startPipeline } from '../src/run/pipeline.js';
import { streamRecsysTraffic } from '../src/run/recsys-traffic.js';
import { createRunResources } from '../src/run/resources.js';
import { runClients } from '../src/run/servers.js';
import { pipelineSpecs } from '../src/run/services.js';
import { streamTraffic } from '../src/run/traffic.js';

/**
 * Issue 21: the machinery has no fraud-specific branch for the second use case. Both use cases
 * declared, both served by one features, one scorer, one decision and one sink process, on a small
 * seeded stream of each: every transaction decided once by the fraud champion, every request ranked
 * once as rank() ranks its champion scores, each use case's rows in its own tables, nothing refused.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fraudEvents = [
  ...simulate({ seed: 23, days: 2, customers: 20, terminals: 15, fraudRate: 0.05, startTime: Date.UTC(2026, 2, 1) }),
].filter((e) => e.kind === 'transaction');
const recsysEvents = [
  ...simulateRecsys({ seed: 23, users: 25, days: 2, evaluationDays: 0, startTime: Date.UTC(2026, 2, 1) }),
];
const transactionIds = fraudEvents.map((e) => e.value.event_id);
const requestIds = recsysEvents.flatMap((e) => (e.kind === 'request' ? [e.value.request_id] : []));
const policy = parseRankingPolicy(readFileSync(defaultRecsysPolicyFile, 'utf8'), recsysFeatureSet);

describe('fraud and recommendations through one set of service processes', () => {
  const ns = runNamespace(newRunId('both'), ['fraud', 'recsys']);
  const recsys = ns.recsys as NonNullable<typeof ns.recsys>;
  const clients = runClients('both-test', servers(), ns);
  const pipelines: RunningPipeline[] = [];
  const decode = async <T>(schema: string, values: (Buffer | null)[]) => {
    const decoder = clients.serde.decoder<T>(schemaFor(schema).type);
    await decoder.prepare(values);
    return values.map((v) => decoder.decode(v));
  };
  const read = async <T>(topic: string, schema: string, n: number) =>
    decode<T>(
      schema,
      (await readMessages(clients.kafka, topic, n, 180_000)).map((m) => m.value),
    );
  const out: {
    decisions: Decision[];
    scores: Score[];
    lists: Recommendation[];
    enriched: EnrichedRequest[];
    recsysScores: RecommendationScores[];
  } = { decisions: [], scores: [], lists: [], enriched: [], recsysScores: [] };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
    await createRunResources({ ns, kafka: clients.kafka, registry: clients.registry, clickhouse: clients.clickhouse });
    const specs = pipelineSpecs(ns, servers(), {
      // Every score in time: the outputs depend on the inputs alone, not on the machine's load.
      tuning: { decision: { DECISION_SCORE_BUDGET: '10m' }, features: { FEATURES_ALLOWED_LATENESS: '30d' } },
    });
    // One process of each service, each serving both use cases.
    expect(specs.map((s) => s.name)).toEqual(['features', 'scorer', 'decision', 'sink']);
    for (const [name, variable] of [
      ['features', 'FEATURES_USE_CASES'],
      ['scorer', 'SCORER_USE_CASES'],
      ['decision', 'DECISION_USE_CASES'],
      ['sink', 'SINK_USE_CASES'],
    ] as const)
      expect(specs.find((s) => s.name === name)?.env[variable]).toBe('fraud,recsys');
    // The features last, onto both use cases' backlogs, as after a restart: its two consumers'
    // first batches arrive together. The services downstream read from the end, so they start first.
    const downstream = await startPipeline({
      specs: specs.filter((s) => s.name !== 'features'),
      kafka: clients.kafka,
      write: () => {},
      colour: false,
    });
    pipelines.push(downstream);
    const [fraudSent, recsysSent] = await Promise.all([
      streamTraffic({ kafka: clients.kafka, serde: clients.serde, ns, rate: 0, events: fraudEvents }),
      streamRecsysTraffic({
        kafka: clients.kafka,
        serde: clients.serde,
        topics: recsys,
        rate: 0,
        events: recsysEvents,
      }),
    ]);
    expect(fraudSent.stats.total).toBe(fraudEvents.length);
    expect(recsysSent.stats.total).toBe(recsysEvents.length);
    pipelines.push(
      await startPipeline({
        specs: specs.filter((s) => s.name === 'features'),
        kafka: clients.kafka,
        write: () => {},
        colour: false,
      }),
    );
    [out.decisions, out.lists] = await Promise.all([
      read<Decision>(ns.topics.decisions, 'fraud/decision', transactionIds.length),
      read<Recommendation>(recsys.recommendations, recsysTopics.recommendations.valueSchema, requestIds.length),
    ]);
    [out.scores, out.enriched, out.recsysScores] = await Promise.all([
      read<Score>(ns.topics.scores, 'fraud/score', transactionIds.length),
      read<EnrichedRequest>(recsys.enrichedRequests, recsysTopics.enrichedRequests.valueSchema, requestIds.length),
      read<RecommendationScores>(recsys.scores, recsysTopics.scores.valueSchema, requestIds.length),
    ]);
    // The sink has stored every decision and list before the services stop.
    for (let tries = 0; ; tries++) {
      const result = await clients.runClickhouse.query({
        query: `SELECT (SELECT uniqExact(event_id) FROM decisions) AS d, (SELECT uniqExact(request_id) FROM recsys_recommendations) AS r`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ d: string; r: string }>();
      if (Number(row?.d) >= transactionIds.length && Number(row?.r) >= requestIds.length) break;
      if (tries > 120) throw new Error(`the sink stored ${row?.d} decisions and ${row?.r} lists`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }, 600_000);

  afterAll(async () => {
    for (const p of pipelines.reverse()) await p.stop();
    await clients.removeRun();
    await clients.close();
  });

  it('decides every transaction once, with the fraud champion score of that transaction', () => {
    expect(transactionIds.length).toBeGreaterThan(50);
    expect(out.decisions.map((d) => d.event_id).sort()).toEqual([...transactionIds].sort());
    // The score of the model the decision names (the champion, or a challenger of an experiment).
    const scoreOf = new Map(out.scores.map((s) => [`${s.event_id}|${s.model_name}@${s.model_version}`, s.score]));
    for (const d of out.decisions) {
      expect(d.path).toBe('MODEL_AND_RULES');
      expect(d.model_name).toBe('fraud_gbdt');
      expect(d.score).toBe(scoreOf.get(`${d.event_id}|${d.model_name}@${d.model_version}`));
    }
  });

  it('ranks every request once, exactly as rank() ranks its candidates with its champion scores', () => {
    expect(requestIds.length).toBeGreaterThan(20);
    expect(out.lists.map((l) => l.request_id).sort()).toEqual([...requestIds].sort());
    const enriched = new Map(out.enriched.map((e) => [e.request.request_id, e]));
    const scores = new Map(out.recsysScores.filter((s) => !s.shadow).map((s) => [s.request_id, s]));
    for (const list of out.lists) {
      const request = enriched.get(list.request_id) as EnrichedRequest;
      const scored = scores.get(list.request_id) as RecommendationScores;
      const candidates = request.features.candidates.map((c, i) => ({ ...c, score: scored.scores[i] ?? null }));
      expect(list.items).toEqual(rank(policy, candidates, request.request.k, list.request_id).items);
      expect(list).toMatchObject({
        path: 'MODEL_AND_RULES',
        model_name: 'recsys_rank',
        model_version: scored.model_version,
        rule_set_version: policy.version,
        feature_set_version: recsysFeatureSet.version,
      });
    }
  });

  it("stores each use case's outputs in its own tables, and refuses nothing", async () => {
    const result = await clients.runClickhouse.query({
      query: `SELECT
        (SELECT uniqExact(event_id) FROM decisions) AS decisions,
        (SELECT uniqExact(event_id) FROM transactions_enriched) AS transactions,
        (SELECT uniqExact(request_id) FROM recsys_recommendations) AS lists,
        (SELECT uniqExact(request_id) FROM recsys_requests) AS requests,
        (SELECT count() FROM decisions WHERE event_id IN (SELECT request_id FROM recsys_requests)) AS crossed`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<string, string>>();
    expect(Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]))).toEqual({
      decisions: transactionIds.length,
      transactions: transactionIds.length,
      lists: requestIds.length,
      requests: requestIds.length,
      crossed: 0,
    });
    // Nothing dead-lettered: the topic's partitions are empty.
    const admin = clients.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(ns.topics.deadLetters);
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(0);
    } finally {
      await admin.disconnect();
    }
  });
});
