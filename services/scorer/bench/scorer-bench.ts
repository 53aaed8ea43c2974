/**
 * Scorer benchmark: rows/s and added latency (submit → scores back) of the reference model at
 * micro-batch sizes 1, 16, 64 and 256 on the worker pool, and the naive way (one session.run per
 * event on the main thread) in the same run. Prints a table, then one JSON line.
 *
 *   npm run bench:scorer                     (root script: tsx services/scorer/bench/scorer-bench.ts)
 *   npx tsx services/scorer/bench/scorer-bench.ts [--seconds 3] [--threads N] [--explain]
 *
 * --explain computes contributions for every row (35 substituted rows each): the worst case.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { defaultRegistryDir } from '../src/config.js';
import { createScoringPool } from '../src/pool.js';
import { fileRegistry } from '../src/registry/file-registry.js';
import type { WorkerModel } from '../src/worker.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, threads: { type: 'string' }, explain: { type: 'boolean' } },
});
const seconds = Number(values.seconds);
const registry = fileRegistry(defaultRegistryDir);
const ref = (await registry.aliases()).champion;
if (ref === null) throw new Error('no champion in the committed registry');
const meta = await registry.metadata(ref);
const path = await registry.artifact(ref);
const width = meta.feature_set.names.length;
const fixture = JSON.parse(readFileSync(path.replace(/model\.onnx$/, 'fixture.json'), 'utf8')) as {
  vectors: (number | null)[][];
};
const rowsOf = (n: number, offset: number) => {
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const v = fixture.vectors[(offset + i) % fixture.vectors.length] as (number | null)[];
    out.set(
      v.map((x) => (x === null ? Number.NaN : x)),
      i * width,
    );
  }
  return out;
};
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

const model: WorkerModel = {
  key: `${ref}:${meta.sha256}`,
  path,
  input: meta.input,
  output: meta.output.name,
  column: meta.output.column,
  explain: values.explain ?? false,
  reference: Float32Array.from(meta.reference_vector, (v) => (v === null ? Number.NaN : v)),
};
const pool = createScoringPool(values.threads ? { threads: Number(values.threads) } : {});
await pool.warm(model, model.reference);

interface Row {
  mode: string;
  batch: number;
  rows_per_s: number;
  p50_ms: number;
  p99_ms: number;
}
const results: Row[] = [];

for (const batch of [1, 16, 64, 256]) {
  // Keep every worker busy: two batches in flight per thread.
  const inFlight = pool.threads * 2;
  const latencies: number[] = [];
  let rows = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let offset = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const vectors = rowsOf(batch, offset);
      offset += batch;
      const t0 = performance.now();
      await pool.score({ models: [model], vectors, rows: batch, width, explainMinScore: 0 });
      latencies.push(performance.now() - t0);
      rows += batch;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  results.push({
    mode: 'pool',
    batch,
    rows_per_s: rows / elapsed,
    p50_ms: pct(latencies, 0.5),
    p99_ms: pct(latencies, 0.99),
  });
}
await pool.close();

{
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const latencies: number[] = [];
  let rows = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const x = rowsOf(1, rows);
    const t0 = performance.now();
    await session.run({ [meta.input]: new ort.Tensor('float32', x, [1, width]) }, [meta.output.name]);
    latencies.push(performance.now() - t0);
    rows++;
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  results.push({
    mode: 'naive main thread',
    batch: 1,
    rows_per_s: rows / elapsed,
    p50_ms: pct(latencies, 0.5),
    p99_ms: pct(latencies, 0.99),
  });
  await session.release();
}

console.log(
  `model ${ref} (${meta.bytes ?? '?'} bytes), ${pool.threads} worker threads, ${seconds} s per row, explain ${model.explain}`,
);
console.log('mode                batch     rows/s    p50 ms    p99 ms');
for (const r of results) {
  console.log(
    `${r.mode.padEnd(18)}${String(r.batch).padStart(7)}${Math.round(r.rows_per_s).toString().padStart(11)}${r.p50_ms.toFixed(3).padStart(10)}${r.p99_ms.toFixed(3).padStart(10)}`,
  );
}
const poolRows = results.filter((r) => r.mode === 'pool');
console.log(
  JSON.stringify({
    bench: 'scorer',
    model: ref,
    threads: pool.threads,
    explain: model.explain,
    pool_rows_per_s: Math.round(Math.max(...poolRows.map((r) => r.rows_per_s))),
    naive_rows_per_s: Math.round(results.find((r) => r.mode !== 'pool')?.rows_per_s ?? 0),
    by_batch: Object.fromEntries(
      poolRows.map((r) => [
        r.batch,
        { rows_per_s: Math.round(r.rows_per_s), p50_ms: +r.p50_ms.toFixed(3), p99_ms: +r.p99_ms.toFixed(3) },
      ]),
    ),
  }),
);
