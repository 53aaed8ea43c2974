import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { connectFeaturesRedis } from '@pipeline/features';
import { type ClickHouseClient, ConfigError, createClickHouse, type RedisClient } from '@pipeline/shared';
import { checkTable, clickhouseOutput } from '../batch/clickhouse-output.js';
import { batchEngine, parseBatchConfig, parseClickHouseConfig, parseTransactionsConfig } from '../batch/config.js';
import { csvInput } from '../batch/csv-input.js';
import { csvOutput } from '../batch/csv-output.js';
import { resolveModelRef } from '../batch/model-ref.js';
import { parquetInput } from '../batch/parquet-input.js';
import { formatProgress, type Progress, rowsPerSecond } from '../batch/progress.js';
import { queryInput } from '../batch/query-input.js';
import { rejectFile } from '../batch/rejects.js';
import { runBatch } from '../batch/run.js';
import {
  batchPrefix,
  csvTransactions,
  parquetTransactions,
  queryTransactions,
  removePrefix,
  type TransactionsInput,
  transactionsInput,
} from '../batch/transactions-input.js';
import type { BatchInput, BatchOutput } from '../batch/types.js';
import { ScorerError, UsageError } from '../errors.js';
import { loadModel } from '../models.js';
import { createScoringPool } from '../pool.js';
import { fileRegistry } from '../registry/file-registry.js';

export const USAGE = `usage: npm run score:batch -- --model <name@version|champion|challenger|shadow>
         (--input <file.csv|file.parquet> | --query "<SELECT ...>") [--transactions] (--output <file.csv> | --table <table>)
         [--explain] [--explain-min-score <0..1>] [--rejects <file.csv>] [--chunk <rows>] [--insert-rows <rows>] [--feature-batch <rows>]
  --input        CSV with a header, or Parquet (uncompressed or Snappy): event_id and the ${fraudFeatureSet.name} v${fraudFeatureSet.version} feature columns (any order, others ignored)
  --transactions the --input rows or the --query result are raw transactions (the transaction schema's fields, optionally is_fraud and
                 label_time; times in epoch ms, a NULL as an empty cell), sorted by event_time; their vectors are computed by the feature
                 service's engine on Redis keys of the run's own, removed at the end, --feature-batch (5000) transactions per engine call
  --query        a ClickHouse SELECT returning event_id and feature_values (feature_set, feature_set_version checked if returned),
                 or with --transactions the transactions' columns
  --output       CSV: event_id, model, feature set, score, up to 3 contributions (written as <file>.partial, renamed when done)
  --table        a ClickHouse table with the batch_scores columns (migration 0008), in CLICKHOUSE_DATABASE
  --explain      top contributions for scores >= --explain-min-score (default SCORER_EXPLAIN_MIN_SCORE, 0.05); costs one row of inference per feature
  --rejects      where rows that cannot be scored go, with the reason (default <output>.rejects.csv, or batch-rejects-<time>.csv with --table)
Environment: MODEL_REGISTRY_DIR, SCORER_THREADS; CLICKHOUSE_URL and CLICKHOUSE_DATABASE with --query (with or without --transactions) or --table;
  REDIS_URL (REDIS_TLS_CA, REDIS_CLUSTER) and the feature service's FEATURES_ALLOWED_LATENESS, FEATURES_MAX_FUTURE,
  FEATURES_MAX_AMOUNT_MINOR, FEATURES_OUTPUT_RETENTION with --transactions.
Exit: 0 every row scored, 3 done but some rows rejected, 1 failed, 2 bad arguments.`;

export interface BatchCliIo {
  /** The summary (one JSON line). */
  out: (line: string) => void;
  /** Messages and the final human summary. */
  err: (line: string) => void;
  /** Progress, rewritten in place on a terminal. */
  progress: (line: string) => void;
  env: Record<string, string | undefined>;
  now?: () => number;
  progressEveryMs?: number;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      query: { type: 'string' },
      output: { type: 'string' },
      table: { type: 'string' },
      rejects: { type: 'string' },
      explain: { type: 'boolean', default: false },
      transactions: { type: 'boolean', default: false },
      'explain-min-score': { type: 'string' },
      chunk: { type: 'string', default: '1024' },
      'insert-rows': { type: 'string', default: '10000' },
      'feature-batch': { type: 'string', default: '5000' },
      registry: { type: 'string' },
    },
  });
}

export type BatchArgs = ReturnType<typeof parseBatchArgs>;

/** The arguments, checked: exactly one input and one output, numbers in range. Throws UsageError. */
export function parseBatchArgs(argv: string[]) {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.model) throw new UsageError('--model is required');
  if ((values.input === undefined) === (values.query === undefined))
    throw new UsageError('give exactly one of --input and --query');
  if ((values.output === undefined) === (values.table === undefined))
    throw new UsageError('give exactly one of --output and --table');
  if (values.input !== undefined && !/\.(csv|parquet)$/i.test(values.input))
    throw new UsageError(`--input ${values.input}: only CSV (.csv) and Parquet (.parquet) files are read`);
  const count = (flag: string, text: string) => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--${flag} '${text}' is not a positive integer`);
    return Number(text);
  };
  let explainMinScore: number | undefined;
  const minText = values['explain-min-score'];
  if (minText !== undefined) {
    explainMinScore = Number(minText);
    if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(minText))
      throw new UsageError(`--explain-min-score '${minText}' is not from 0 to 1`);
  }
  return {
    model: values.model,
    input: values.input,
    query: values.query,
    output: values.output,
    table: values.table,
    rejects: values.rejects,
    explain: values.explain ?? false,
    transactions: values.transactions ?? false,
    explainMinScore,
    chunk: count('chunk', values.chunk ?? '1024'),
    insertRows: count('insert-rows', values['insert-rows'] ?? '10000'),
    featureBatch: count('feature-batch', values['feature-batch'] ?? '5000'),
    registry: values.registry,
  };
}

/** Where rejects go by default: beside the output file, or in the working directory for a table. */
export function defaultRejectsPath(args: { output?: string | undefined }, startedAt: number): string {
  if (args.output !== undefined) return `${args.output.replace(/\.csv$/i, '')}.rejects.csv`;
  return `batch-rejects-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.csv`;
}

/** Runs `score:batch`; resolves with the exit code (0 all scored, 3 some rejected, 1 failed, 2 usage). */
export async function runScoreBatchCli(argv: string[], io: BatchCliIo): Promise<number> {
  try {
    return await run(parseBatchArgs(argv), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof ScorerError || error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    // Anything else (ClickHouse refusing an insert mid-run, a disk error): the run failed all the same.
    io.err(`error: the run failed: ${(error as Error).message ?? String(error)}`);
    if (io.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}

async function run(args: BatchArgs, io: BatchCliIo): Promise<number> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const config = parseBatchConfig(io.env);
  const needsClickHouse = args.query !== undefined || args.table !== undefined;
  const ch = needsClickHouse ? parseClickHouseConfig(io.env) : undefined;
  const features = args.transactions ? parseTransactionsConfig(io.env) : undefined;
  const registry = fileRegistry(args.registry ?? config.MODEL_REGISTRY_DIR);
  const ref = resolveModelRef(args.model, await registry.aliases());
  const featureSet = fraudFeatureSet;
  const client: ClickHouseClient | undefined = ch ? createClickHouse(ch, ch.CLICKHOUSE_DATABASE) : undefined;
  const pool = createScoringPool({ threads: config.SCORER_THREADS });
  let output: BatchOutput | undefined;
  // The run's own feature state: a prefix nobody else uses, removed at the end whatever happens.
  const prefix = batchPrefix();
  let redis: RedisClient | undefined;
  let transactions: TransactionsInput | undefined;
  try {
    const model = await loadModel(registry, ref, { featureSet, pool, shadow: false, explain: args.explain });
    if (features) redis = await connectFeaturesRedis(features);
    if (features) {
      const source =
        args.input === undefined
          ? queryTransactions(client as ClickHouseClient, args.query as string)
          : /\.parquet$/i.test(args.input)
            ? await parquetTransactions(args.input)
            : await csvTransactions(args.input);
      transactions = transactionsInput(source, {
        redis: redis as RedisClient,
        engine: batchEngine(features, prefix),
        batchRows: args.featureBatch,
      });
    }
    const input: BatchInput =
      transactions ??
      (args.input === undefined
        ? queryInput(client as ClickHouseClient, args.query as string, featureSet)
        : /\.parquet$/i.test(args.input)
          ? await parquetInput(args.input, featureSet)
          : await csvInput(args.input, featureSet));
    const runId = `${ref}:${new Date(startedAt).toISOString()}:${args.input !== undefined ? basename(args.input) : 'query'}`;
    if (args.table !== undefined) {
      await checkTable(client as ClickHouseClient, args.table);
      output = clickhouseOutput(client as ClickHouseClient, {
        table: args.table,
        runId,
        scoredAtMs: startedAt,
        insertRows: args.insertRows,
      });
    } else output = csvOutput(args.output as string);
    const rejects = rejectFile(args.rejects ?? defaultRejectsPath(args, startedAt));
    if (transactions) io.err(`computing features of ${input.source} under Redis prefix ${prefix}`);
    io.err(`scoring ${input.source} with ${ref} on ${pool.threads} threads into ${output.target} (run ${runId})`);
    let result: Progress;
    try {
      result = await runBatch({
        input,
        output,
        rejects,
        pool,
        model,
        featureSet,
        chunkRows: args.chunk,
        maxInFlight: pool.threads * 2,
        explainMinScore: args.explainMinScore ?? config.SCORER_EXPLAIN_MIN_SCORE,
        onProgress: (p) => io.progress(formatProgress(p)),
        progressEveryMs: io.progressEveryMs ?? 1000,
        now,
      });
    } finally {
      await rejects.close();
    }
    const seconds = result.elapsedMs / 1000;
    const labels = transactions?.labels();
    if (labels === 0) io.err('no labels in the input: the terminal fraud-rate features counted none');
    io.err(
      `scored ${result.scored.toLocaleString('en-US')} rows with ${ref} in ${seconds.toFixed(1)} s (${Math.round(rowsPerSecond(result)).toLocaleString('en-US')} rows/s) into ${output.target}` +
        (result.rejected > 0 ? `; ${result.rejected.toLocaleString('en-US')} rejected, see ${rejects.path}` : ''),
    );
    io.out(
      JSON.stringify({
        run_id: runId,
        model: ref,
        scored: result.scored,
        rejected: result.rejected,
        ...(labels !== undefined ? { labels } : {}),
        seconds,
        rows_per_second: Math.round(rowsPerSecond(result)),
        output: output.target,
        rejects: rejects.path,
      }),
    );
    return result.rejected > 0 ? 3 : 0;
  } catch (error) {
    await output?.abort();
    throw error;
  } finally {
    await pool.close();
    await client?.close();
    if (redis) {
      await removePrefix(redis, prefix);
      await redis.quit();
    }
  }
}
