import { clickhouseVars, parseEnv } from '@pipeline/shared';
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
