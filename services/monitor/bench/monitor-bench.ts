/**
 * Time of one monitor run (all four checks, 35 features and the score) over N rows in its window,
 * on synthetic rows (random vectors, scores and labels: the figures are meaningless, the work is
 * real), in a throwaway database. Prints a table, then one JSON line.
 *
 *   CLICKHOUSE_URL=http://127.0.0.1:8123 npx tsx services/monitor/bench/monitor-bench.ts [10000,100000]
 */
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  clickhouseVars,
  createClickHouse,
  createLogger,
  identifier,
  literal,
  migrate,
  newToken,
  parseEnv,
  runMain,
  type SqlValue,
  sql,
} from '@pipeline/shared';
import { loadConfig } from '../src/config.js';
import { createMonitor } from '../src/monitor.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

await runMain('monitor-bench', async () => {
  const clickhouseTarget = parseEnv(clickhouseVars);
  const { CLICKHOUSE_URL } = clickhouseTarget;
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  const logger = createLogger('monitor-bench', 'error');
  const results: { rows: number; seconds: number; rowsPerSecond: number }[] = [];
  for (const n of sizes) {
    const database = `monitor_bench_${Date.now().toString(36)}`;
    await migrate({ url: clickhouseTarget, database, logger });
    const client = createClickHouse(clickhouseTarget, database);
    try {
      // n rows on day 1 (the window) and n/4 on day 0 (the reference, and the volume/mix baseline).
      let seed = 7;
      const random = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 2 ** 32;
      };
      const insert = async (table: string, columns: string, rows: SqlValue[][]) => {
        for (let i = 0; i < rows.length; i += 5_000) {
          const values = rows.slice(i, i + 5_000).map((r) => `(${r.map(literal).join(', ')})`);
          await client.command({ query: `INSERT INTO ${table} (${columns}) VALUES ${values.join(',')}` });
        }
      };
      for (const [day, count] of [
        [0, Math.ceil(n / 4)],
        [1, n],
      ] as const) {
        const ids = Array.from({ length: count }, (_, i) => `e-${day}-${i}`);
        const times = ids.map(() => Math.floor((START + day * DAY + random() * DAY) / 1000));
        const scores = ids.map(() => random());
        await insert(
          'transactions_enriched',
          'event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms',
          ids.map((id, i) => [
            id,
            times[i] as number,
            `c-${i % 5000}`,
            't',
            1000,
            'EUR',
            'POS',
            'FR',
            'fraud_core',
            1,
            fraudFeatureSet.names.map(() => random() * (day + 1)),
            times[i] as number,
            (times[i] as number) * 1000,
          ]),
        );
        await insert(
          'scores',
          'event_id, customer_id, event_time, model_name, model_version, feature_set_version, score, shadow, latency_ms, scored_at, scored_at_ms',
          ids.map((id, i) => [
            id,
            `c-${i % 5000}`,
            times[i] as number,
            'fraud_gbdt',
            '1',
            1,
            scores[i] as number,
            0,
            1,
            0,
            0,
          ]),
        );
        await insert(
          'decisions',
          'event_id, customer_id, event_time, action, reason_codes, score, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms',
          ids.map((id, i) => [
            id,
            `c-${i % 5000}`,
            times[i] as number,
            (scores[i] as number) > 0.9 ? 'DECLINE' : 'APPROVE',
            [],
            scores[i] as number,
            'MODEL_AND_RULES',
            'r',
            'fraud_gbdt',
            '1',
            1,
            'control',
            0,
            0,
          ]),
        );
        await insert(
          'labels',
          'transaction_id, customer_id, terminal_id, is_fraud, label_time, label_time_ms',
          ids.map((id, i) => [id, `c-${i % 5000}`, 't', random() < 0.05, (times[i] as number) + 3600, 0]),
        );
      }
      const settings = loadConfig({
        // Read by every service's parser; the bench serves no HTTP.
        HTTP_AUTH_TOKENS: newToken('monitor-bench', ['read']).entry,
        KAFKA_BROKERS: '127.0.0.1:9092',
        SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
        CLICKHOUSE_URL,
        MONITOR_REFERENCE_FROM: new Date(START).toISOString(),
        MONITOR_REFERENCE_TO: new Date(START + DAY).toISOString(),
        MONITOR_LABEL_LAG: '0',
        MONITOR_PERFORMANCE_WINDOW: '1d',
        MONITOR_BASELINE_DAYS: '1',
      });
      const monitor = createMonitor({
        clickhouse: client,
        logger,
        settings,
        publisher: { publish: async () => {} }, // no Kafka in the benchmark: only the computation is timed
      });
      const started = performance.now();
      const run = await monitor.runWindow(START + 2 * DAY);
      const seconds = (performance.now() - started) / 1000;
      results.push({ rows: run.rows, seconds, rowsPerSecond: Math.round(run.rows / seconds) });
    } finally {
      await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      await client.close();
    }
  }
  console.log('rows in window | run (s) | rows/s');
  for (const r of results)
    console.log(`${String(r.rows).padStart(14)} | ${r.seconds.toFixed(2).padStart(7)} | ${r.rowsPerSecond}`);
  console.log(JSON.stringify({ bench: 'monitor-run', results }));
});
