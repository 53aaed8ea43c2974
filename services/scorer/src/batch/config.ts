import { fraudFeatureSet } from '@pipeline/feature-sets';
import { compilePlan, type Engine, featuresVars } from '@pipeline/features';
import { clickhouseVars, parseEnv, redisVars } from '@pipeline/shared';
import { scorerVars } from '../config.js';

/** What `score:batch` reads from the environment: the scorer's own variables, under the same names. */
export const batchVars = {
  MODEL_REGISTRY_DIR: scorerVars.MODEL_REGISTRY_DIR,
  SCORER_THREADS: scorerVars.SCORER_THREADS,
  SCORER_EXPLAIN_MIN_SCORE: scorerVars.SCORER_EXPLAIN_MIN_SCORE,
};

export function parseBatchConfig(source: Record<string, string | undefined>) {
  return parseEnv(batchVars, source);
}

/** CLICKHOUSE_URL and CLICKHOUSE_DATABASE, read only by a run with `--query` or `--table`. */
export function parseClickHouseConfig(source: Record<string, string | undefined>) {
  return parseEnv(clickhouseVars, source);
}

/**
 * What `--transactions` reads: the Redis server and the feature service's input rules and window
 * settings, under the feature service's own names (a batch computes the features it would).
 */
export const transactionsVars = {
  ...redisVars,
  FEATURES_ALLOWED_LATENESS: featuresVars.FEATURES_ALLOWED_LATENESS,
  FEATURES_MAX_FUTURE: featuresVars.FEATURES_MAX_FUTURE,
  FEATURES_MAX_AMOUNT_MINOR: featuresVars.FEATURES_MAX_AMOUNT_MINOR,
  FEATURES_OUTPUT_RETENTION: featuresVars.FEATURES_OUTPUT_RETENTION,
};

export type TransactionsConfig = ReturnType<typeof parseTransactionsConfig>;

export function parseTransactionsConfig(source: Record<string, string | undefined>) {
  return parseEnv(transactionsVars, source);
}

/** The feature service's fraud engine with these settings, its state under `prefix`. */
export function batchEngine(config: TransactionsConfig, prefix: string): Engine {
  return {
    set: fraudFeatureSet,
    plan: compilePlan(fraudFeatureSet, config.FEATURES_ALLOWED_LATENESS, config.FEATURES_OUTPUT_RETENTION),
    prefix,
    rules: {
      maxAmountMinor: config.FEATURES_MAX_AMOUNT_MINOR,
      maxFutureMs: config.FEATURES_MAX_FUTURE,
      allowedLatenessMs: config.FEATURES_ALLOWED_LATENESS,
    },
  };
}
