import type { ServedModel } from '../models.js';
import type { ModelResult, ScoringPool } from '../pool.js';
import type { FeatureSetLike } from '../registry/contract.js';
import { packRows } from '../vector.js';
import type { Progress } from './progress.js';
import type { BatchInput, BatchOutput, BatchScore, RejectSink } from './types.js';

export interface BatchRunOptions {
  input: BatchInput;
  output: BatchOutput;
  rejects: RejectSink;
  pool: ScoringPool;
  /** Loaded with `loadModel`, as the stream loads its champion (contract and checksum checked, warmed). */
  model: ServedModel;
  featureSet: FeatureSetLike;
  /** Rows per pool task (the stream's micro-batch). */
  chunkRows: number;
  /** Tasks on the pool at once; the reader waits beyond that (bounded memory). */
  maxInFlight: number;
  /** Scores below this get no contributions, as SCORER_EXPLAIN_MIN_SCORE in the stream. */
  explainMinScore: number;
  onProgress?: (progress: Progress) => void;
  progressEveryMs?: number;
  now?: () => number;
}

/** The contributions of row `row` of a pool result, as the stream puts them in a Score. */
export function contributionsOf(
  result: ModelResult,
  row: number,
  names: readonly string[],
): BatchScore['contributions'] {
  const out: BatchScore['contributions'] = [];
  for (let k = 0; k < 3; k++) {
    const index = result.topIndex[row * 3 + k] as number;
    if (index < 0) break;
    out.push({ feature: names[index] as string, value: result.topValue[row * 3 + k] as number });
  }
  return out;
}

/**
 * Reads rows, scores them on the worker pool in chunks of `chunkRows` with the stream's own code
 * (vectors packed by `packRows`, scored and explained by the pool's worker), and writes the scores in
 * input order. Back-pressure all the way: at most `maxInFlight` chunks are on the pool, the oldest is
 * written (and the writer waited on) before the next is read, so memory stays bounded whatever the
 * input's size. Rejects go to the reject sink as they are read. A failure of the pool or the writer
 * stops the run (the error is thrown); the caller aborts the output.
 */
export async function runBatch(options: BatchRunOptions): Promise<Progress> {
  const { input, output, rejects, pool, model, featureSet, now = Date.now } = options;
  const width = featureSet.names.length;
  const started = now();
  const progress: Progress = { rows: 0, scored: 0, rejected: 0, elapsedMs: 0, fraction: undefined };
  const report = () => {
    progress.elapsedMs = now() - started;
    progress.fraction = input.fraction();
    options.onProgress?.({ ...progress });
  };
  let reportedAt = started;

  const inFlight: { ids: string[]; result: Promise<ModelResult[]> }[] = [];
  let ids: string[] = [];
  let rows: number[][] = [];

  const submit = () => {
    const result = pool.score({
      models: [model.worker],
      vectors: packRows(rows, width),
      rows: rows.length,
      width,
      explainMinScore: options.explainMinScore,
    });
    // Awaited in order below; until then a failure must not count as unhandled.
    result.catch(() => undefined);
    inFlight.push({ ids, result });
    ids = [];
    rows = [];
  };

  const writeOldest = async () => {
    const chunk = inFlight.shift();
    if (chunk === undefined) return;
    const [result] = await chunk.result;
    if (result === undefined) throw new Error(`the pool returned no result for ${model.ref}`);
    const scores = chunk.ids.map(
      (event_id, i): BatchScore => ({
        event_id,
        model_name: model.name,
        model_version: model.version,
        feature_set: featureSet.name,
        feature_set_version: featureSet.version,
        score: result.scores[i] as number,
        contributions: contributionsOf(result, i, featureSet.names),
      }),
    );
    await output.write(scores);
    progress.scored += scores.length;
    if (now() - reportedAt >= (options.progressEveryMs ?? 1000)) {
      reportedAt = now();
      report();
    }
  };

  try {
    for await (const record of input.records()) {
      progress.rows++;
      if ('reject' in record) {
        progress.rejected++;
        await rejects.write(record.reject);
        continue;
      }
      ids.push(record.row.eventId);
      rows.push(record.row.values);
      if (rows.length >= options.chunkRows) {
        submit();
        if (inFlight.length >= options.maxInFlight) await writeOldest();
      }
    }
    if (rows.length > 0) submit();
    while (inFlight.length > 0) await writeOldest();
  } finally {
    // Chunks still on the pool after a failure finish there; their results are dropped.
    inFlight.length = 0;
  }
  await output.close();
  report();
  return { ...progress, elapsedMs: now() - started };
}
