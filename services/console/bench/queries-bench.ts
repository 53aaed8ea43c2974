/**
 * How fast the console's ClickHouse reads answer on a large table: fills a throwaway database with
 * N decisions (and their transactions with a full feature vector) spread evenly over 30 days of
 * event time, 2 % of them REVIEW, then times each page's reads as the console makes them (the
 * decision store): the newest decision, the mix over 1 h, 24 h and 7 d, one event's provenance, the
 * review queue. Prints a table, then one JSON line. The database is dropped at the end.
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
  const { CLICKHOUSE_URL } = parseEnv(clickhouseVars);
  const n = option('decisions', 1_000_000);
  const runs = option('runs', 5);
  const database = `console_bench_${Date.now().toString(36)}`;
  const logger = createLogger('console-bench', 'error');
  await migrate({ url: CLICKHOUSE_URL, database, logger });
  const client = createClickHouse(CLICKHOUSE_URL, database);
  try {
    const fillStarted = performance.now();
    const features = raw(`[${fraudFeatureSet.names.map((_, i) => `toFloat64(number % ${i + 7})`).join(', ')}]`);
    for (let offset = 0; offset < n; offset += CHUNK) {
      const size = Math.min(CHUNK, n - offset);
      const time = `toDateTime(${START_S} + intDiv(number * ${SPAN_S}, ${n}))`;
      await client.command({
        query: `INSERT INTO decisions SELECT concat('e', toString(number)) AS event_id, concat('C', toString(number % 50000)) AS customer_id, ${time} AS event_time,
          multiIf(number % 100 < 2, 'REVIEW', number % 100 < 3, 'DECLINE', 'APPROVE') AS action, if(number % 100 < 3, ['RULE:velocity_burst', 'SCORE_BAND:high'], ['SCORE_BAND:low']) AS reason_codes,
          toNullable((number % 1000) / 1000) AS score, if(number % 50 = 0, 'RULES_ONLY', 'MODEL_AND_RULES') AS path, 'r1' AS rule_set_version,
          toNullable('fraud_gbdt') AS model_name, toNullable('2') AS model_version, toUInt32(${fraudFeatureSet.version}) AS feature_set_version,
          if(number % 10 = 0, 'strict', 'control') AS experiment_variant, event_time AS decided_at, toUInt64(event_time) * 1000 + 80 AS decided_at_ms
          FROM numbers(${offset}, ${size})`,
      });
      await client.command({
        query: `INSERT INTO transactions_enriched SELECT concat('e', toString(number)) AS event_id, ${time} AS event_time, concat('C', toString(number % 50000)) AS customer_id,
          concat('T', toString(number % 10000)) AS terminal_id, toInt64(number % 100000) AS amount_minor, 'EUR' AS currency, 'ECOM' AS channel, 'PT' AS country,
          CAST(NULL AS Nullable(String)) AS device_hash, CAST(NULL AS Nullable(String)) AS ip_hash, '${fraudFeatureSet.name}' AS feature_set,
          toUInt32(${fraudFeatureSet.version}) AS feature_set_version, ${features.text} AS feature_values, event_time AS computed_at, toUInt64(event_time) * 1000 + 30 AS computed_at_ms
          FROM numbers(${offset}, ${size})`,
      });
      process.stderr.write(`  filled ${offset + size} of ${n} decisions\n`);
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    await client.command({ query: 'OPTIMIZE TABLE decisions FINAL' }).catch(() => undefined);

    const store = createDecisionStore(client, fraudFeatureSet);
    const middle = `e${Math.floor(n / 2)}`;
    const cases: [string, () => Promise<unknown>][] = [
      ['newest decision (system.parts, one partition)', () => store.newest()],
      ['mix over 1 h', () => store.mix(1)],
      ['mix over 24 h', () => store.mix(24)],
      ['mix over 7 d', () => store.mix(168)],
      ['provenance of one event', () => store.event(middle)],
      ['review queue, 50 oldest of 30 d', () => store.queue(50)],
      ['rule hits over 24 h', () => store.ruleHits(24)],
      ['rule hits over 7 d', () => store.ruleHits(168)],
    ];
    const results: { query: string; median_ms: number; max_ms: number }[] = [];
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
    console.log(
      `\n${n.toLocaleString('en')} decisions over 30 days of event time (filled in ${fillSeconds.toFixed(1)} s); ${runs} runs each\n`,
    );
    console.log(`| ${'query'.padEnd(48)} | median ms |  max ms |`);
    console.log(`| ${'-'.repeat(48)} | --------: | ------: |`);
    for (const r of results)
      console.log(`| ${r.query.padEnd(48)} | ${String(r.median_ms).padStart(9)} | ${String(r.max_ms).padStart(7)} |`);
    console.log(JSON.stringify({ bench: 'console-queries', decisions: n, runs, fill_s: round(fillSeconds), results }));
  } finally {
    if (process.argv.includes('--keep')) console.error(`kept database ${database}`);
    else await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  }
});

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function raw(text: string) {
  return { text };
}
