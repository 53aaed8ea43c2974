import { decisionVars } from '@pipeline/decision';
import { ConfigError, env, kafkaVars, parseEnv, redisVars, schemaRegistryVars, serviceVars } from '@pipeline/shared';
import { fraudTopics, pipelineTopics } from '@pipeline/topology';
import { DEFAULT_PREFIX } from './keys.js';

/** Every variable the API reads; parsed once at start, a bad one names itself. */
export const apiVars = {
  ...serviceVars,
  ...kafkaVars,
  ...schemaRegistryVars,
  ...redisVars,
  /** The decision API itself (POST /v1/decisions, GET /openapi.json), apart from health and metrics. */
  API_PORT: env.port().default(8080),
  /** A request's deadline when it names none. */
  API_DEADLINE_DEFAULT: env.duration().default(100),
  /** The bounds a request's `Decision-Deadline-Ms` must fall within. */
  API_DEADLINE_MIN: env.duration().default(10),
  API_DEADLINE_MAX: env.duration().default(2_000),
  /** How long a request waits for Kafka to acknowledge its transaction before 503. */
  API_PRODUCE_TIMEOUT: env.duration().default(1_000),
  /** After the deadline, how long to wait for a decision the engine already emitted (its marker says so). */
  API_EMITTED_GRACE: env.duration().default(1_000),
  /** How long an answer (and a request in flight) is kept per event id: a repeat within it gets the same answer. */
  API_IDEMPOTENCY_TTL: env.duration().default(86_400_000),
  /** Largest request body in bytes; larger: 413. */
  API_MAX_BODY_BYTES: env.positiveInt().default(16_384),
  API_REDIS_PREFIX: env.string().default(DEFAULT_PREFIX),
  /** Prefix of this instance's consumer group; the instance adds a unique suffix (it reads every partition). */
  API_GROUP_PREFIX: env.string().default('api'),
  API_TRANSACTIONS_TOPIC: env.string().default(fraudTopics.transactions.name),
  API_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  API_DECISIONS_TOPIC: env.string().default(fraudTopics.decisions.name),
  /** Read for the transactions the pipeline dead-lettered: an answered fallback of one is emitted by the API. */
  API_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /** How long an answered fallback waits for its event's dead letter (or the engine's decision of it). */
  API_STRANDED_HOLD: env.duration().default(300_000),
  /** Where the start-up configuration is audited (the sink stores it in audit_log). */
  API_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
  /** The decision engine's: the fallback is decided with its rule file and claimed under its marker keys. */
  DECISION_RULES_FILE: decisionVars.DECISION_RULES_FILE,
  DECISION_RULES_POLL: decisionVars.DECISION_RULES_POLL,
  DECISION_REDIS_PREFIX: decisionVars.DECISION_REDIS_PREFIX,
  DECISION_DEDUP_TTL: decisionVars.DECISION_DEDUP_TTL,
};

export type ApiConfig = ReturnType<typeof parseConfig>;

export function parseConfig(source: Record<string, string | undefined> = process.env) {
  const config = parseEnv(apiVars, source);
  const { API_DEADLINE_MIN: min, API_DEADLINE_DEFAULT: def, API_DEADLINE_MAX: max } = config;
  if (!(min <= def && def <= max)) {
    throw new ConfigError(
      ['API_DEADLINE_DEFAULT'],
      `invalid configuration: API_DEADLINE_DEFAULT (${def} ms) must lie within API_DEADLINE_MIN (${min} ms) and API_DEADLINE_MAX (${max} ms)`,
    );
  }
  return config;
}
