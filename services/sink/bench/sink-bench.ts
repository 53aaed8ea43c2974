/**
 * Sink insert benchmark: rows/s sustained into ClickHouse and insert latency per batch, at several
 * batch sizes, through the sink's own BatchWriter and table module (transactions_enriched, the
 * widest table: 15 columns with a 20-value feature vector). Kafka is left out to measure what
 * ClickHouse takes; the consumer is not the limit at these rates.
 *
 *   CLICKHOUSE_URL=http://127.0.0.1:8123 npx tsx services/sink/bench/sink-bench.ts [rowsPerSize]
 *
 * Prints a table, then as the last line one JSON object with the figures.
 */

import { simulate } from '@pipeline/loadtest';
import {
  clickhouseVars,
  createClickHouse,
  createLogger,
  createTokenizer,
  identifier,
  migrate,
  parseEnv,
  parseKeyRing,
  runMain,
  sql,
} from '@pipeline/shared';
import type { EnrichedTransaction } from '@pipeline/topology';
import { BatchWriter } from '../src/batch-writer.js';
import { type EnrichedRow, enrichedRow, insertEnriched } from '../src/tables/transactions-enriched.js';

/** Rows tokenized as the sink does, with a bench-only key (the HMAC is part of the cost measured). */
const tokens = createTokenizer(parseKeyRing(`bench:${'sink-bench-secret-'.repeat(2)}`));

const SIZES = [250, 500, 1_000, 2_000, 5_000];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

await runMain('sink-bench', async () => {
  const clickhouseTarget = parseEnv({
    CLICKHOUSE_URL: clickhouseVars.CLICKHOUSE_URL,
    CLICKHOUSE_TLS_CA: clickhouseVars.CLICKHOUSE_TLS_CA,
  });
  const rowsPerSize = Number(process.argv[2] ?? 100_000);
  const database = `sink_bench_${Date.now().toString(36)}`;
  const logger = createLogger('sink-bench', 'warn');
  await migrate({ url: clickhouseTarget, database, logger });
  const client = createClickHouse(clickhouseTarget, database);

  process.stderr.write(`generating ${rowsPerSize} rows...\n`);
  const rows: EnrichedRow[] = [];
  for (const event of simulate({ seed: 5, customers: 20_000, days: 30, startTime: Date.UTC(2026, 9, 1) })) {
    if (event.kind !== 'transaction') continue;
    const value: EnrichedTransaction = {
      transaction: event.value,
      features: {
        feature_set: 'fraud_core',
        version: 1,
        values: Array.from({ length: 20 }, (_, i) => (i === 3 ? Number.NaN : (event.value.amount_minor % (i + 7)) / 7)),
      },
      computed_at: event.value.event_time + 15,
    };
    rows.push(enrichedRow(value, tokens));
    if (rows.length >= rowsPerSize) break;
  }

  const results: {
    batchSize: number;
    rows: number;
    inserts: number;
    rowsPerSec: number;
    p50Ms: number;
    p99Ms: number;
  }[] = [];
  try {
    for (const batchSize of SIZES) {
      await client.command({ query: sql`TRUNCATE TABLE ${identifier('transactions_enriched')}` });
      const latencies: number[] = [];
      const writer = new BatchWriter<EnrichedRow, number>({
        table: 'transactions_enriched',
        insert: (batch) => insertEnriched(client, batch),
        batchSize,
        flushIntervalMs: 1_000,
        backoff: { initialMs: 100, maxMs: 1_000 },
        logger,
        onInsert: (_, ms) => latencies.push(ms),
      });
      const started = performance.now();
      // Fed as the consumer feeds it: a fetch hands over up to 24 partition batches (500 rows each
      // here), handled concurrently, and the next fetch waits for all of them. A batch size above
      // what one fetch holds therefore waits for the flush interval every time.
      const slice = 500;
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < rows.length; i += slice) {
        writes.push(writer.write(rows.slice(i, i + slice).map((row, j) => ({ row, ref: i + j }))));
        if (writes.length >= 24) await Promise.all(writes.splice(0, writes.length));
      }
      await Promise.all(writes);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const result = {
        batchSize,
        rows: rows.length,
        inserts: latencies.length,
        rowsPerSec: Math.round(rows.length / seconds),
        p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
        p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      };
      results.push(result);
      process.stderr.write(`batch ${batchSize}: ${result.rowsPerSec} rows/s\n`);
    }
  } finally {
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  }

  console.log('batch size | rows    | inserts | rows/s  | p50 ms  | p99 ms');
  console.log('---------- | ------- | ------- | ------- | ------- | -------');
  for (const r of results) {
    console.log(
      [r.batchSize, r.rows, r.inserts, r.rowsPerSec, r.p50Ms, r.p99Ms]
        .map((v, i) => String(v).padEnd(i === 0 ? 10 : 7))
        .join(' | '),
    );
  }
  console.log(JSON.stringify({ benchmark: 'sink-insert', table: 'transactions_enriched', results }));
  process.exit(0);
});
