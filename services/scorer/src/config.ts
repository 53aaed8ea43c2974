import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { downstreamKafkaVars, env, parseEnv, schemaRegistryVars, serviceVars } from '@pipeline/shared';
import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { checkRegistryConfig, modelRegistryVars } from './registry/select.js';
import { type ScorerUseCase, USE_CASE_NAMES } from './use-cases.js';

/** The committed registry (models/ at the repository root). */
export const defaultRegistryDir = fileURLToPath(new URL('../../../models/', import.meta.url));

const probability = () =>
  env
    .string()
    .refine((value) => /^(0(\.\d+)?|1(\.0+)?)$/.test(value), { message: 'must be a number from 0 to 1' })
    .transform(Number);

const boolean = () =>
  env
    .string()
    .refine((value) => value === 'true' || value === 'false', { message: "must be 'true' or 'false'" })
    .transform((value) => value === 'true');

/** Every variable the scorer reads; parsed once at start, a bad one names itself. */
export const scorerVars = {
  ...serviceVars,
  ...downstreamKafkaVars,
  ...schemaRegistryVars,
  /** Worker threads running onnxruntime; default one per core. */
  SCORER_THREADS: env.positiveInt().default(availableParallelism()),
  /** A micro-batch is flushed at this many events... */
  SCORER_BATCH_SIZE: env.positiveInt().default(256),
  /** ...or when its first event has waited this long, whichever comes first. */
  SCORER_BATCH_WAIT: env.duration().default(2),
  ...modelRegistryVars(defaultRegistryDir),
  /** How often the aliases are read (alias file or MLflow) for a promotion or rollback. */
  SCORER_REGISTRY_POLL: env.duration().default(1000),
  /** Champion scores below this carry no contributions (explaining costs one extra row per feature). */
  SCORER_EXPLAIN_MIN_SCORE: probability().default(0.05),
  /** Contributions for shadow and challenger scores too (`true`/`false`). */
  SCORER_EXPLAIN_SHADOWS: boolean().default(false),
  /** Comma-separated use cases this process scores (use-cases.ts), e.g. `fraud,recsys`. */
  SCORER_USE_CASES: env
    .string()
    .transform((value, ctx) => {
      const listed = [...new Set(value.split(',').map((v) => v.trim()))];
      const unknown = listed.filter((v) => !(USE_CASE_NAMES as string[]).includes(v));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown use case ${unknown.join(', ')}: one of ${USE_CASE_NAMES.join(', ')}`,
        });
      }
      return listed as ScorerUseCase[];
    })
    .default(['fraud']),
  SCORER_GROUP_ID: env.string().default('scorer'),
  SCORER_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  SCORER_SCORES_TOPIC: env.string().default(fraudTopics.scores.name),
  /** Consumer group of the recommendation requests. */
  SCORER_RECSYS_GROUP_ID: env.string().default('scorer.recsys'),
  SCORER_ENRICHED_REQUESTS_TOPIC: env.string().default(recsysTopics.enrichedRequests.name),
  SCORER_RECSYS_SCORES_TOPIC: env.string().default(recsysTopics.scores.name),
  SCORER_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /** Where the start-up configuration is audited (the sink stores it in audit_log). */
  SCORER_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
};

export type ScorerConfig = ReturnType<typeof parseConfig>;

export function parseConfig(source: Record<string, string | undefined> = process.env) {
  return checkRegistryConfig(parseEnv(scorerVars, source));
}
