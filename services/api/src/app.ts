import { metrics } from '@opentelemetry/api';
import { createKeys, fraudRefs, JoinState, type RuleStore } from '@pipeline/decision';
import type { AvroSerde, HttpAuth, Kafka, Logger, RedisClient, RouteSpec } from '@pipeline/shared';
import { type DecideRequestDeps, decideRequest } from './decide-request.js';
import { type FeatureSetShape, rulesOnlyDecision } from './fallback.js';
import { type DecisionHttpServer, startDecisionHttp } from './http.js';
import { createIdempotencyStore } from './idempotency.js';
import { createApiKeys } from './keys.js';
import { type ApiPipeline, createApiPipeline } from './pipeline.js';
import { createStranded } from './stranded.js';
import { Waiters } from './waiters.js';

export interface ApiOptions {
  kafka: Kafka;
  serde: AvroSerde;
  redis: RedisClient;
  logger: Logger;
  rules: RuleStore;
  featureSet: FeatureSetShape;
  port: number;
  /** Who may call it: POST /v1/decisions needs the `decide` role. */
  auth: HttpAuth;
  groupId: string;
  topics: { transactions: string; enriched: string; decisions: string; deadLetters: string };
  /** How long a claimed fallback waits for its event's dead letter (or decision) before it is forgotten. */
  strandedHoldMs: number;
  deadline: { defaultMs: number; minMs: number; maxMs: number };
  produceTimeoutMs: number;
  emittedGraceMs: number;
  idempotencyTtlMs: number;
  maxBodyBytes: number;
  keyPrefix: string;
  /** The decision engine's DECISION_REDIS_PREFIX and DECISION_DEDUP_TTL: the fallback is claimed under its marker. */
  engine: { keyPrefix: string; decidedTtlMs: number };
}

export interface Api {
  readonly port: number;
  /** Every endpoint of the HTTP server with the access it needs. */
  readonly routes: readonly RouteSpec[];
  readonly pipeline: ApiPipeline;
  close(): Promise<void>;
}

/** The decision API: its Kafka side (started in the background) and its HTTP server. */
export async function startApi(options: ApiOptions): Promise<Api> {
  const meter = metrics.getMeter('pipeline.api');
  const requests = meter.createCounter('api_requests', { description: 'Requests answered, by status and source' });
  const latency = meter.createHistogram('api_latency', { unit: 'ms', description: 'From arrival to response' });

  const strandedEmitted = meter.createCounter('api_stranded_decisions', {
    description: 'Answered fallbacks emitted by the API: the pipeline dead-lettered their event',
  });

  // The engine's markers, with the engine's TTL (scores are never held here): claim() and markEmitted().
  const engineState = new JoinState(
    options.redis,
    createKeys(options.engine.keyPrefix),
    { scoresMs: options.engine.decidedTtlMs, decidedMs: options.engine.decidedTtlMs },
    fraudRefs,
  );
  const waiters = new Waiters();
  const stranded = createStranded({
    emit: async (decisions) => {
      await pipeline.produceDecisions(decisions);
      await engineState.markEmitted(decisions);
    },
    onEmitted: (decisions) => strandedEmitted.add(decisions.length),
    onError: (err, decisions) =>
      options.logger.error(
        { err, events: decisions.length, example: decisions[0]?.event_id },
        'could not emit answered decisions of dead-lettered events; retrying',
      ),
    holdMs: options.strandedHoldMs,
    maxHeld: 100_000,
    retryMs: 1_000,
    now: () => performance.now(),
  });
  const pipeline = createApiPipeline({
    kafka: options.kafka,
    serde: options.serde,
    logger: options.logger,
    waiters,
    stranded,
    topics: options.topics,
    groupId: options.groupId,
  });
  const deps: DecideRequestDeps = {
    store: createIdempotencyStore(options.redis, createApiKeys(options.keyPrefix), options.idempotencyTtlMs),
    waiters,
    unavailable: () =>
      pipeline.unavailable() ?? (options.redis.status === 'ready' ? null : `Redis ${options.redis.status}`),
    produce: (t) => pipeline.produce(t),
    claim: async (d) => {
      const claimed = (await engineState.claim([d]))[0] ?? null;
      if (claimed === d) stranded.claimed(d);
      return claimed;
    },
    fallback: (t, enriched) => rulesOnlyDecision(options.rules.current(), t, enriched, options.featureSet, Date.now()),
    produceTimeoutMs: options.produceTimeoutMs,
    emittedGraceMs: options.emittedGraceMs,
    now: () => performance.now(),
  };
  pipeline.start();
  let http: DecisionHttpServer;
  try {
    http = await startDecisionHttp({
      port: options.port,
      auth: options.auth,
      maxBodyBytes: options.maxBodyBytes,
      deadline: options.deadline,
      decide: (t, deadlineMs, receivedAt) => decideRequest(deps, t, deadlineMs, receivedAt),
      onAnswered: (status, answer, ms) => {
        const attributes = { status, source: answer?.source ?? 'none' };
        requests.add(1, attributes);
        latency.record(ms, attributes);
      },
    });
  } catch (error) {
    stranded.close();
    await pipeline.stop();
    throw error;
  }
  return {
    port: http.port,
    routes: http.routes,
    pipeline,
    async close() {
      await http.close();
      stranded.close();
      await pipeline.stop();
    },
  };
}
