/**
 * Batch scoring benchmark: rows/s of `score:batch` as users run it (the CLI's code, in-process) on N
 * generated rows, with the committed champion, over four paths: CSV file → CSV file, Parquet file →
 * CSV file, CSV file → ClickHouse table, ClickHouse query → ClickHouse table (the query over
 * transactions_enriched, in a throwaway database), and raw transactions: a CSV of simulated
 * transactions with their labels → CSV file (`--transactions`: features by the feature engine on
 * Redis, then scored). Prints a table, then one JSON line; rows_per_hour is the slowest path's,
 * vectors_rows_per_hour and transactions_rows_per_hour each mode's slowest.
 *
 *   npm run bench:batch                      (root script: tsx services/scorer/bench/batch-bench.ts)
 *   npx tsx services/scorer/bench/batch-bench.ts [--rows 1000000] [--query-rows 200000] [--parquet-rows 200000]
 *                                                [--tx-rows 200000] [--threads N] [--explain] [--no-clickhouse] [--no-transactions]
 *
 * Rows are the model's fixture vectors, each value scaled by a seeded factor (deterministic: the same
 * N gives the same file). Generating the files and loading transactions_enriched are not timed; the
 * query and Parquet paths use fewer rows (the first rows of the same sequence), as loading ClickHouse
 * and writing Parquet (in memory, hyparquet-writer) take longer than scoring them.
 * CLICKHOUSE_URL (default http://127.0.0.1:8123) for the ClickHouse paths; --no-clickhouse skips them.
 * REDIS_URL (and REDIS_TLS_CA) for the transactions path; --no-transactions skips it. Its transactions
 * come from the load simulator (seeded: 2,000 customers, the first --tx-rows transactions), written
 * with their labels (not timed).
 */

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import {
  createClickHouse,
  createTokenizer,
  identifier,
  migrationsDir,
  parseKeyRing,
  splitStatements,
  sql,
} from '@pipeline/shared';
import { enrichedRow, insertEnriched } from '@pipeline/sink/tables/transactions-enriched';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { LABEL_FIELDS, TRANSACTION_FIELDS } from '../src/batch/transaction-rows.js';
import { runScoreBatchCli } from '../src/cli/score-batch-cli.js';
import { defaultRegistryDir } from '../src/config.js';
import { fileRegistry } from '../src/registry/file-registry.js';

/** Rows are stored as the sink stores them: identifiers tokenized (a bench-only key). */
const tokens = createTokenizer(parseKeyRing(`bench:${'batch-bench-secret-'.repeat(2)}`));

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'query-rows': { type: 'string', default: '200000' },
    'parquet-rows': { type: 'string', default: '200000' },
    threads: { type: 'string', default: String(availableParallelism()) },
    explain: { type: 'boolean', default: false },
    'no-clickhouse': { type: 'boolean', default: false },
    'tx-rows': { type: 'string', default: '200000' },
    'no-transactions': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const queryRows = Math.min(rows, Number(values['query-rows']));
const parquetRows = Math.min(rows, Number(values['parquet-rows']));
const txRows = Number(values['tx-rows']);
if (!values['no-transactions'] && !process.env.REDIS_URL)
  throw new Error(
    'REDIS_URL is unset: the transactions path needs Redis (source /tmp/env.sh), or give --no-transactions',
  );
const clickhouseUrl = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const clickhouseTarget = { CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_TLS_CA: process.env.CLICKHOUSE_TLS_CA };
const registry = fileRegistry(defaultRegistryDir);
const ref = (await registry.aliases()).champion;
if (ref === null) throw new Error('no champion in the committed registry');
const fixture = JSON.parse(
  readFileSync((await registry.artifact(ref)).replace(/model\.onnx$/, 'fixture.json'), 'utf8'),
) as {
  vectors: (number | null)[][];
};

/** mulberry32: a small seeded generator, so a run's rows are the same every time. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row i: fixture vector i mod its length, each value times a factor from 0.8 to 1.2 (NaN stays NaN). */
function* vectors(n: number): Generator<[string, number[]]> {
  const next = random(7);
  for (let i = 0; i < n; i++) {
    const v = fixture.vectors[i % fixture.vectors.length] as (number | null)[];
    const factor = 0.8 + 0.4 * next();
    yield [`bench-${i}`, v.map((x) => (x === null ? Number.NaN : x * factor))];
  }
}

const work = mkdtempSync(join(tmpdir(), 'batch-bench-'));
const input = join(work, 'input.csv');
{
  const out = createWriteStream(input);
  out.write(`${['event_id', ...fraudFeatureSet.names].join(',')}\n`);
  for (const [id, v] of vectors(rows)) {
    if (!out.write(`${id},${v.map((x) => (Number.isNaN(x) ? '' : String(x))).join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The first `n` simulated transactions, in event-time order, each with its label when it has one. */
async function writeTransactions(path: string, n: number): Promise<void> {
  const txs: Transaction[] = [];
  const labels = new Map<string, Label>();
  const start = Date.UTC(2026, 0, 1);
  for (const e of simulate({ seed: 7, customers: 2_000, terminals: 400, days: 3650, startTime: start })) {
    if (e.kind === 'transaction') {
      if (txs.length === n) break;
      txs.push(e.value);
    } else labels.set(e.value.transaction_id, e.value);
  }
  const names = TRANSACTION_FIELDS.map((f) => f.name);
  const out = createWriteStream(path);
  out.write(`${[...names, ...LABEL_FIELDS.map((f) => f.name)].join(',')}\n`);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  for (const tx of txs) {
    const label = labels.get(tx.event_id);
    const line = [
      ...names.map((name) => cell((tx as unknown as Record<string, unknown>)[name])),
      cell(label?.is_fraud),
      cell(label?.label_time),
    ].join(',');
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Result {
  mode: 'vectors' | 'transactions';
  path: string;
  rows: number;
  seconds: number;
  rows_per_s: number;
}
const results: Result[] = [];
let csvPeakRssMb = 0;
const parquet = join(work, 'input.parquet');
/** Written after the CSV path ran, so that path's peak memory is its own. */
function writeParquet(): void {
  const ids: string[] = [];
  const columns = fraudFeatureSet.names.map(() => new Float64Array(parquetRows));
  let i = 0;
  for (const [id, v] of vectors(parquetRows)) {
    ids.push(id);
    v.forEach((x, j) => {
      (columns[j] as Float64Array)[i] = x;
    });
    i++;
  }
  const columnData = [
    { name: 'event_id', data: ids, type: 'STRING' as const },
    // NaN stays NaN in a DOUBLE column; the reader takes it as missing, as it takes null.
    ...fraudFeatureSet.names.map((name, j) => ({
      name,
      data: Array.from(columns[j] as Float64Array),
      type: 'DOUBLE' as const,
    })),
  ];
  writeFileSync(parquet, new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 65_536 })));
}

const env = { ...process.env, SCORER_THREADS: values.threads, CLICKHOUSE_URL: clickhouseUrl };

async function measure(path: string, argv: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  process.stderr.write(`${path}: `);
  const out: string[] = [];
  const code = await runScoreBatchCli(['--model', ref as string, ...(values.explain ? ['--explain'] : []), ...argv], {
    out: (l) => out.push(l),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: (l) => process.stderr.write(`  ${l}\n`),
    env: { ...env, ...extraEnv },
    progressEveryMs: 5_000,
  });
  if (code !== 0) throw new Error(`${path}: score:batch exited ${code}`);
  const summary = JSON.parse(out.at(-1) as string) as { scored: number; seconds: number };
  results.push({
    mode: argv.includes('--transactions') ? 'transactions' : 'vectors',
    path,
    rows: summary.scored,
    seconds: summary.seconds,
    rows_per_s: summary.scored / summary.seconds,
  });
}

try {
  await measure('csv -> csv', ['--input', input, '--output', join(work, 'scores.csv')]);
  // Peak resident memory so far: generating the CSV (streamed) and scoring all of it.
  csvPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  writeParquet();
  await measure('parquet -> csv', ['--input', parquet, '--output', join(work, 'scores-parquet.csv')]);
  if (!values['no-transactions']) {
    const transactions = join(work, 'transactions.csv');
    process.stderr.write(`simulating ${txRows} transactions with their labels (not timed)\n`);
    await writeTransactions(transactions, txRows);
    await measure('transactions csv -> csv', [
      '--transactions',
      ...['--input', transactions, '--output', join(work, 'scores-transactions.csv')],
    ]);
  }
  if (!values['no-clickhouse']) {
    const database = `batch_bench_${process.pid}`;
    const admin = createClickHouse(clickhouseTarget);
    await admin.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
    const client = createClickHouse(clickhouseTarget, database);
    try {
      for (const file of ['0001_sink_tables.sql', '0008_batch_scores.sql'])
        for (const statement of splitStatements(readFileSync(join(migrationsDir, file), 'utf8')))
          await client.command({ query: statement });
      const chEnv = { CLICKHOUSE_DATABASE: database };
      await measure('csv -> clickhouse', ['--input', input, '--table', 'batch_scores'], chEnv);
      process.stderr.write(`loading ${queryRows} rows into ${database}.transactions_enriched (not timed)\n`);
      let batch: EnrichedTransaction[] = [];
      for (const [id, v] of vectors(queryRows)) {
        batch.push({
          transaction: {
            event_id: id,
            event_time: Date.UTC(2026, 0, 1),
            customer_id: 'C1',
            terminal_id: 'T1',
            amount_minor: 1000,
            currency: 'EUR',
            channel: 'POS',
            country: 'PT',
            device_hash: null,
            ip_hash: null,
          },
          features: { feature_set: fraudFeatureSet.name, version: fraudFeatureSet.version, values: v },
          computed_at: Date.UTC(2026, 0, 1),
        });
        if (batch.length === 10_000) {
          await insertEnriched(
            client,
            batch.map((e) => enrichedRow(e, tokens)),
          );
          batch = [];
        }
      }
      await insertEnriched(
        client,
        batch.map((e) => enrichedRow(e, tokens)),
      );
      await measure(
        'query -> clickhouse',
        [
          '--query',
          'SELECT event_id, feature_set, feature_set_version, feature_values FROM transactions_enriched',
          '--table',
          'batch_scores',
        ],
        chEnv,
      );
    } finally {
      await client.close();
      await admin.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      await admin.close();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `model ${ref}, ${values.threads} worker threads, explain ${values.explain}, chunk 1024 rows; peak RSS after csv -> csv ${csvPeakRssMb} MB`,
);
console.log('path                         rows   seconds     rows/s      rows/hour');
for (const r of results) {
  console.log(
    `${r.path.padEnd(23)}${String(r.rows).padStart(10)}${r.seconds.toFixed(1).padStart(10)}${Math.round(r.rows_per_s).toString().padStart(11)}${Math.round(
      r.rows_per_s * 3600,
    )
      .toLocaleString('en-US')
      .padStart(15)}`,
  );
}
const slowest = Math.min(...results.map((r) => r.rows_per_s));
const perHour = (mode: Result['mode']) => {
  const of = results.filter((r) => r.mode === mode);
  return of.length === 0 ? null : Math.round(Math.min(...of.map((r) => r.rows_per_s)) * 3600);
};
console.log(
  JSON.stringify({
    bench: 'batch',
    rows_per_hour: Math.round(slowest * 3600),
    vectors_rows_per_hour: perHour('vectors'),
    transactions_rows_per_hour: perHour('transactions'),
    model: ref,
    threads: Number(values.threads),
    explain: values.explain,
    csv_peak_rss_mb: csvPeakRssMb,
    paths: Object.fromEntries(
      results.map((r) => [
        r.path,
        { rows: r.rows, seconds: +r.seconds.toFixed(2), rows_per_s: Math.round(r.rows_per_s) },
      ]),
    ),
  }),
);
