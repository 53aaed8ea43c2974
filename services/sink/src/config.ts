import {
  clickhouseVars,
  env,
  kafkaVars,
  parseEnv,
  piiVars,
  schemaRegistryVars,
  serviceVars,
  withKeyRing,
} from '@pipeline/shared';
import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { SINK_USE_CASES, type SinkUseCase, storedTopics } from './streams.js';

/**
 * The sink's environment. Batching defaults come from bench/sink-bench.ts on the 2-core dev machine:
 * rows/s rise steeply up to 2,000 rows per insert (~69k rows/s, p99 ~80 ms) and collapse above what
 * one consumer fetch holds, where every insert waits for the flush interval; 1 s bounds how long a
 * quiet topic's rows wait.
 */
export const sinkVars = {
  ...serviceVars,
  SERVICE_NAME: env.string().default('sink'),
  ...kafkaVars,
  ...schemaRegistryVars,
  ...clickhouseVars,
  /** The key ring customer and terminal ids are tokenized with (docs/security.md). */
  ...piiVars,
  /** Comma-separated use cases whose topics the sink stores (streams.ts), e.g. `fraud,recsys`. */
  SINK_USE_CASES: env.listOf(SINK_USE_CASES).default(['fraud'] satisfies SinkUseCase[]),
  /** Consumer group; one group reads every topic the sink stores. */
  SINK_GROUP_ID: env.string().default('sink'),
  /** Most rows per ClickHouse insert, per table. */
  SINK_BATCH_SIZE: env.positiveInt().default(2_000),
  /** Longest a row waits in the buffer before its table is flushed. */
  SINK_FLUSH_INTERVAL: env.duration().default(1_000),
  /** Cap of the exponential back-off while ClickHouse is down or refusing for reasons not in the rows. */
  SINK_MAX_BACKOFF: env.duration().default(10_000),
  /** Daily partitions whose date is more than this many days before today are dropped. */
  SINK_RETENTION_DAYS: env.positiveInt().default(400),
  /** How often the retention job runs. */
  SINK_RETENTION_INTERVAL: env.duration().default(3_600_000),
  /** Partitions handled at once; covers the six topics' partitions (4 × 6 + 3 + 1) so one flush serves them all. */
  SINK_PARTITIONS_CONCURRENTLY: env.positiveInt().default(28),
  /** The use cases' topics under other names (a run of its own, a deployment's prefix). */
  SINK_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  SINK_SCORES_TOPIC: env.string().default(fraudTopics.scores.name),
  SINK_DECISIONS_TOPIC: env.string().default(fraudTopics.decisions.name),
  SINK_LABELS_TOPIC: env.string().default(fraudTopics.labels.name),
  SINK_INTERACTIONS_TOPIC: env.string().default(recsysTopics.interactions.name),
  SINK_REQUESTS_TOPIC: env.string().default(recsysTopics.requests.name),
  SINK_RECSYS_ENRICHED_TOPIC: env.string().default(recsysTopics.enrichedRequests.name),
  SINK_RECSYS_SCORES_TOPIC: env.string().default(recsysTopics.scores.name),
  SINK_RECOMMENDATIONS_TOPIC: env.string().default(recsysTopics.recommendations.name),
  SINK_RECSYS_LABELS_TOPIC: env.string().default(recsysTopics.labels.name),
  /** Audit entries of the services without a ClickHouse connection, stored in audit_log. */
  SINK_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
  /** Where rows ClickHouse refuses go. */
  SINK_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /**
   * Dead letters stored in dead_letters. Unset: SINK_DEAD_LETTER_TOPIC, the pipeline's one dead-letter
   * topic, so a run with its own topics reads its own. Dead letters the sink cannot store are never
   * published again (see dead-letters.ts).
   */
  SINK_DEAD_LETTERS_IN_TOPIC: env.string().optional(),
  /** Not consumed: dead letters of this topic are dated by the transaction's event time. */
  SINK_TRANSACTIONS_TOPIC: env.string().default(fraudTopics.transactions.name),
};

export type SinkConfig = ReturnType<typeof loadConfig>;

export function loadConfig(vars: Record<string, string | undefined> = process.env) {
  const { config, tokenizer } = withKeyRing(() => parseEnv(sinkVars, vars), vars);
  return {
    ...config,
    SINK_DEAD_LETTERS_IN_TOPIC: config.SINK_DEAD_LETTERS_IN_TOPIC ?? config.SINK_DEAD_LETTER_TOPIC,
    /** The use cases' topics and tables. */
    stored: storedTopics(config.SINK_USE_CASES, {
      [fraudTopics.enriched.name]: config.SINK_ENRICHED_TOPIC,
      [fraudTopics.scores.name]: config.SINK_SCORES_TOPIC,
      [fraudTopics.decisions.name]: config.SINK_DECISIONS_TOPIC,
      [fraudTopics.labels.name]: config.SINK_LABELS_TOPIC,
      [recsysTopics.interactions.name]: config.SINK_INTERACTIONS_TOPIC,
      [recsysTopics.requests.name]: config.SINK_REQUESTS_TOPIC,
      [recsysTopics.enrichedRequests.name]: config.SINK_RECSYS_ENRICHED_TOPIC,
      [recsysTopics.scores.name]: config.SINK_RECSYS_SCORES_TOPIC,
      [recsysTopics.recommendations.name]: config.SINK_RECOMMENDATIONS_TOPIC,
      [recsysTopics.labels.name]: config.SINK_RECSYS_LABELS_TOPIC,
    }),
    tokenizer,
  };
}
