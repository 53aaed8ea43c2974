/**
 * How fast the console's ClickHouse reads answer on a large table: fills a throwaway database with
 * N decisions (and their transactions with a full feature vector) spread evenly over 30 days of
 * event time, 2 % of them REVIEW, two scores per decision (the champion's and a shadow's), a label
 * per transaction a day to a week later (2 % fraud) and hourly monitor runs of 100 figures each,
 * then times each page's reads as the console makes them (its stores). The decision reads are
 * timed twice: as inserted (every day may hold copies, read with FINAL) and once the days are
 * settled (one merged part each, as the sink leaves closed days). The models page reads the hourly
 * rollup, whose full build is timed too. Prints a table, then one JSON line. The database is dropped
 * at the end.
 *
 *   CLICKHOUSE_URL=http://127.0.0.1:8123 npm run bench:console -- [--decisions 10000000] [--runs 5] [--keep]
 */
import { fraudFeatureSet } from '@pipeline/feature-sets';
import {
  clickhouseVars,
  createClickHouse,
  createLogger,
  identifier,
  migrate,
  parseEnv,
  runMain,
  sql,
} from '@pipeline/shared';
import { createDecisionStore } from '../src/decisions/store.js';
import { createModelRollup } from '../src/models/rollup.js';
import { createModelTrafficStore } from '../src/models/store.js';
import { createMonitoringStore } from '../src/monitoring/store.js';

const START_S = Date.UTC(2026, 0, 1) / 1000;
const SPAN_S = 30 * 86_400;
const CHUNK = 1_000_000;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
}

await runMain('console-queries-bench', async () => {
  const clickhouseTarget = parseEnv(clickhouseVars);
  const n = option('decisions', 1_000_000);
  const runs = option('runs', 5);
  const database = `console_bench_${Date.now().toString(36)}`;
  const logger = createLogger('console-bench', 'error');
  await migrate({ url: clickhouseTarget, database, logger });
  const client = createClickHouse(clickhouseTarget, database);
  try {
    const fillStarted = performance.now();
    const features = raw(`[${fraudFeatureSet.names.map((_, i) => `toFloat64(number % ${i + 7})`).join(', ')}]`);
    for (let offset = 0; offset < n; offset += CHUNK) {
      const size = Math.min(CHUNK, n - offset);
      const time = `toDateTime(${START_S} + intDiv(number * ${SPAN_S}, ${n}))`;
      await client.command({
        query: `INSERT INTO decisions (event_id, customer_id, event_time, action, reason_codes, score, path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at, decided_at_ms) SELECT concat('e', toString(number)) AS event_id, concat('C', toString(number % 50000)) AS customer_id, ${time} AS event_time,
          multiIf(number % 100 < 2, 'REVIEW', number % 100 < 3, 'DECLINE', 'APPROVE') AS action, if(number % 100 < 3, ['RULE:velocity_burst', 'SCORE_BAND:high'], ['SCORE_BAND:low']) AS reason_codes,
          toNullable((number % 1000) / 1000) AS score, if(number % 50 = 0, 'RULES_ONLY', 'MODEL_AND_RULES') AS path, 'r1' AS rule_set_version,
          toNullable('fraud_gbdt') AS model_name, toNullable('2') AS model_version, toUInt32(${fraudFeatureSet.version}) AS feature_set_version,
          if(number % 10 = 0, 'strict', 'control') AS experiment_variant, event_time AS decided_at, toUInt64(event_time) * 1000 + 80 AS decided_at_ms
          FROM numbers(${offset}, ${size})`,
      });
      await client.command({
        query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms) SELECT concat('e', toString(number)) AS event_id, ${time} AS event_time, concat('C', toString(number % 50000)) AS customer_id,
          concat('T', toString(number % 10000)) AS terminal_id, toInt64(number % 100000) AS amount_minor, 'EUR' AS currency, 'ECOM' AS channel, 'PT' AS country,
          CAST(NULL AS Nullable(String)) AS device_hash, CAST(NULL AS Nullable(String)) AS ip_hash, '${fraudFeatureSet.name}' AS feature_set,
          toUInt32(${fraudFeatureSet.version}) AS feature_set_version, ${features.text} AS feature_values, event_time AS computed_at, toUInt64(event_time) * 1000 + 30 AS computed_at_ms
          FROM numbers(${offset}, ${size})`,
      });
      process.stderr.write(`  filled ${offset + size} of ${n} decisions\n`);
    }
    await fillScoresLabelsAndMonitor(client, n);
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    const store = createDecisionStore(client, fraudFeatureSet);
    const middle = `e${Math.floor(n / 2)}`;
    const results: { query: string; median_ms: number; max_ms: number }[] = [];
    const time = async (cases: [string, () => Promise<unknown>][]) => {
      for (const [name, run] of cases) {
        const times: number[] = [];
        for (let i = 0; i < runs; i += 1) {
          const started = performance.now();
          await run();
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        results.push({
          query: name,
          median_ms: round(times[Math.floor(times.length / 2)] ?? 0),
          max_ms: round(times.at(-1) ?? 0),
        });
      }
    };
    const decisionReads = (when: string): [string, () => Promise<unknown>][] => [
      [`mix over 7 d, ${when}`, () => store.mix(168)],
      [`rule hits over 7 d, ${when}`, () => store.ruleHits(168)],
    ];
    await time(decisionReads('days as inserted'));
    await client.command({ query: 'OPTIMIZE TABLE decisions FINAL' }).catch(() => undefined);

    const rollupStarted = performance.now();
    const rollup = createModelRollup({ client, intervalMs: 60_000, logger });
    const rebuiltDays = (await rollup.run()).length;
    const rollupSeconds = (performance.now() - rollupStarted) / 1000;
    rollup.stop();
    const traffic = createModelTrafficStore(client, () => store.newest());
    const monitoring = createMonitoringStore(client);

    await time([
      ['newest decision (system.parts, one partition)', () => store.newest()],
      ['mix over 1 h', () => store.mix(1)],
      ['mix over 24 h', () => store.mix(24)],
      ...decisionReads('days settled'),
      ['provenance of one event', () => store.event(middle)],
      ['review queue, 50 oldest of 30 d', () => store.queue(50)],
      ['rule hits over 24 h', () => store.ruleHits(24)],
      ['models: live comparison over 24 h', () => traffic.live(24, () => null)],
      ['models: live comparison over 7 d', () => traffic.live(168, () => null)],
      ['models: live comparison over 30 d', () => traffic.live(720, () => null)],
      ['monitoring over 7 d', () => monitoring.read({ days: 7, series: null, feature: null })],
      ['monitoring over 90 d', () => monitoring.read({ days: 90, series: null, feature: null })],
    ]);
    console.log(
      `\n${n.toLocaleString('en')} decisions over 30 days of event time (filled in ${fillSeconds.toFixed(1)} s); models rollup built in ${rollupSeconds.toFixed(1)} s (${rebuiltDays} days); ${runs} runs each\n`,
    );
    console.log(`| ${'query'.padEnd(48)} | median ms |  max ms |`);
    console.log(`| ${'-'.repeat(48)} | --------: | ------: |`);
    for (const r of results)
      console.log(`| ${r.query.padEnd(48)} | ${String(r.median_ms).padStart(9)} | ${String(r.max_ms).padStart(7)} |`);
    console.log(
      JSON.stringify({
        bench: 'console-queries',
        decisions: n,
        runs,
        fill_s: round(fillSeconds),
        rollup_build_s: round(rollupSeconds),
        results,
      }),
    );
  } finally {
    if (process.argv.includes('--keep')) console.error(`kept database ${database}`);
    else await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  }
});

/** Two scores per decision, a label per transaction one to seven days on, hourly monitor runs. */
async function fillScoresLabelsAndMonitor(client: ReturnType<typeof createClickHouse>, n: number): Promise<void> {
  for (let offset = 0; offset < n; offset += CHUNK) {
    const size = Math.min(CHUNK, n - offset);
    const time = `toDateTime(${START_S} + intDiv(number * ${SPAN_S}, ${n}))`;
    await client.command({
      query: `INSERT INTO scores (event_id, customer_id, event_time, model_name, model_version, feature_set_version, score, shadow, latency_ms, scored_at, scored_at_ms, contribution_features, contribution_values) SELECT concat('e', toString(number)) AS event_id, concat('C', toString(number % 50000)) AS customer_id, ${time} AS event_time,
        'fraud_gbdt' AS model_name, m.1 AS model_version, toUInt32(${fraudFeatureSet.version}) AS feature_set_version,
        (cityHash64(number, m.1) % 1000) / 1000 AS score, m.2 AS shadow, 1.5 AS latency_ms, event_time AS scored_at, toUInt64(event_time) * 1000 + 50 AS scored_at_ms,
        CAST([] AS Array(String)) AS contribution_features, CAST([] AS Array(Float64)) AS contribution_values
        FROM numbers(${offset}, ${size}) ARRAY JOIN [('2', toUInt8(0)), ('3', toUInt8(1))] AS m`,
    });
    await client.command({
      query: `INSERT INTO labels (transaction_id, customer_id, terminal_id, is_fraud, label_time, label_time_ms, transaction_time_ms) SELECT concat('e', toString(number)) AS transaction_id, concat('C', toString(number % 50000)) AS customer_id, concat('T', toString(number % 10000)) AS terminal_id,
        toUInt8(cityHash64(number) % 100 < 2) AS is_fraud, ${time} + 86400 * (1 + number % 7) AS label_time, toUInt64(label_time) * 1000 AS label_time_ms,
        toUInt64(${time}) * 1000 AS transaction_time_ms
        FROM numbers(${offset}, ${size})`,
    });
    process.stderr.write(`  scored and labelled ${offset + size} of ${n} decisions\n`);
  }
  const runs = 30 * 24;
  await client.command({
    query: `INSERT INTO monitor_runs SELECT toDateTime(${START_S} + (number + 1) * 3600 - 86400) AS window_start, toDateTime(${START_S} + (number + 1) * 3600) AS window_end,
      'EVENT' AS clock, 2 AS models, 100000 AS rows, 200 AS figures, 0 AS breaches, 0 AS alerts, 0 AS triggers, 150 AS duration_ms, window_end AS computed_at, toUInt64(window_end) * 1000 AS computed_at_ms
      FROM numbers(${runs})`,
  });
  await client.command({
    query: `INSERT INTO monitor_metrics SELECT toDateTime(${START_S} + (intDiv(number, 200) + 1) * 3600 - 86400) AS window_start, toDateTime(${START_S} + (intDiv(number, 200) + 1) * 3600) AS window_end,
      if(number % 100 < 80, 'DRIFT', if(number % 100 < 95, 'QUALITY', 'PERFORMANCE')) AS kind, 'fraud_gbdt' AS model_name, if(number % 200 < 100, '2', '3') AS model_version, 'control' AS variant,
      if(number % 100 < 95, concat('f', toString(intDiv(number % 100, 2) % 40)), 'score') AS subject,
      multiIf(number % 100 < 80, if(number % 2 = 0, 'psi', 'ks'), number % 100 < 95, if(number % 2 = 0, 'null_share', 'out_of_range_share'), ['roc_auc', 'average_precision', 'card_precision_at_100', 'precision', 'recall'][number % 5 + 1]) AS metric,
      (cityHash64(number) % 1000) / 5000 AS value, toNullable(0.2) AS threshold, toUInt8(value > 0.19) AS breached, 10000 AS n, 100000 AS n_reference,
      toDateTime(${START_S - 86_400 * 30}) AS reference_start, toDateTime(${START_S}) AS reference_end, window_end AS computed_at, toUInt64(window_end) * 1000 AS computed_at_ms
      FROM numbers(${runs * 200})`,
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function raw(text: string) {
  return { text };
}
