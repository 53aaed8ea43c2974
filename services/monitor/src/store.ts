import {
  type ClickHouseClient,
  identifier,
  literal,
  raw,
  type SqlFragment,
  type SqlValue,
  sql,
} from '@pipeline/shared';
import type { Alert } from '@pipeline/topology';
import type { PerformanceCounts } from './checks/performance.js';
import type { DeadLetterCount } from './checks/quality.js';
import type { EpisodeState } from './episodes.js';
import type { Figure } from './figures.js';

/**
 * Every query the monitor runs and every row it writes. SQL for ClickHouse 18.16 and current: one
 * JOIN per SELECT (nested pairs with USING), FINAL to deduplicate, values through the shared escaping
 * helper, times as toDateTime(<epoch seconds>) computed here.
 */

const DAY_S = 86_400;

/** A DateTime literal from epoch ms (floored to the second). */
export const at = (ms: number): SqlFragment => raw(`toDateTime(${Math.floor(ms / 1000)})`);
const seconds = (ms: number) => Math.floor(ms / 1000);

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/** NaN comes back from JSON formats as null. */
const num = (v: number | string | null): number => (v === null ? Number.NaN : Number(v));

export interface ModelRef {
  model_name: string;
  model_version: string;
}

/** The logs whose event times drive the event clock: each use case's, so either alone drives it. */
const CLOCK_TABLES = ['transactions_enriched', 'recsys_recommendations'] as const;

/**
 * Oldest and newest logged event time (ms) over every use case's log, undefined when nothing is
 * logged. The newest of any drives the clock: a use case whose traffic stopped does not hold the
 * others' windows back.
 */
export async function eventTimeRange(client: ClickHouseClient): Promise<{ first: number; last: number } | undefined> {
  const found = await rows<{ first: string; last: string; n: string }>(
    client,
    CLOCK_TABLES.map(
      (table) =>
        `SELECT toUInt64(min(event_time)) AS first, toUInt64(max(event_time)) AS last, count() AS n FROM ${table}`,
    ).join(' UNION ALL '),
  );
  const logged = found.filter((r) => Number(r.n) > 0);
  if (logged.length === 0) return undefined;
  return {
    first: Math.min(...logged.map((r) => Number(r.first))) * 1000,
    last: Math.max(...logged.map((r) => Number(r.last))) * 1000,
  };
}

export async function lastRunEnd(client: ClickHouseClient): Promise<number | undefined> {
  const [r] = await rows<{ t: string; n: string }>(
    client,
    'SELECT toUInt64(max(window_end)) AS t, count() AS n FROM monitor_runs',
  );
  return r && Number(r.n) > 0 ? Number(r.t) * 1000 : undefined;
}

export async function modelsScored(client: ClickHouseClient, from: number, to: number): Promise<ModelRef[]> {
  return rows<ModelRef>(
    client,
    sql`SELECT model_name, model_version FROM scores FINAL WHERE event_time >= ${at(from)} AND event_time < ${at(to)} GROUP BY model_name, model_version ORDER BY model_name, model_version`,
  );
}

/** `AND cityHash64(event_id) % m = 0`, a deterministic sample of about `max` of `count` rows. */
function sampleClause(count: number, max: number): SqlFragment {
  if (count <= max) return raw('');
  return raw(`AND cityHash64(event_id) % ${Math.ceil(count / max)} = 0`);
}

const scoredBy = (m: ModelRef, from: number, to: number) =>
  sql`model_name = ${m.model_name} AND model_version = ${m.model_version} AND event_time >= ${at(from)} AND event_time < ${at(to)}`;

/** Scores of one model in a window with their experiment variant ('' when no decision was logged). */
function scoredWithVariant(m: ModelRef, from: number, to: number, extra: SqlFragment = raw('')): string {
  return sql`SELECT event_id, customer_id, event_time, score, variant FROM (
      SELECT event_id, customer_id, event_time, score FROM scores FINAL WHERE ${raw(scoredBy(m, from, to))} ${extra}
    ) ANY LEFT JOIN (
      SELECT event_id, experiment_variant AS variant FROM decisions FINAL
      WHERE event_time >= ${at(from)} AND event_time < ${at(to)}
    ) USING event_id`;
}

async function countScored(client: ClickHouseClient, m: ModelRef, from: number, to: number): Promise<number> {
  const [r] = await rows<{ n: string }>(client, `SELECT count() AS n FROM scores FINAL WHERE ${scoredBy(m, from, to)}`);
  return Number(r?.n ?? 0);
}

export interface ScoredRow {
  variant: string;
  score: number;
  features: number[];
}

/** The window's rows of one model: variant, score and the logged feature vector. Sampled above `maxRows`. */
export async function scoredRows(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  maxRows: number,
): Promise<ScoredRow[]> {
  const sample = sampleClause(await countScored(client, m, from, to), maxRows);
  const result = await rows<{ variant: string; score: number; feature_values: (number | null)[] }>(
    client,
    sql`SELECT variant, score, feature_values FROM (${raw(scoredWithVariant(m, from, to, sample))})
    ANY INNER JOIN (
      SELECT event_id, feature_values FROM transactions_enriched FINAL
      WHERE event_time >= ${at(from)} AND event_time < ${at(to)}
    ) USING event_id`,
  );
  return result.map((r) => ({ variant: r.variant, score: num(r.score), features: r.feature_values.map(num) }));
}

/**
 * Logged feature vectors of every transaction in the reference window (model-independent), sampled;
 * only those of the feature set checked: another version's values mean other features.
 */
export async function referenceVectors(
  client: ClickHouseClient,
  from: number,
  to: number,
  sampleSize: number,
  featureSet: { name: string; version: number },
): Promise<number[][]> {
  const range = sql`event_time >= ${at(from)} AND event_time < ${at(to)} AND feature_set = ${featureSet.name} AND feature_set_version = ${featureSet.version}`;
  const [c] = await rows<{ n: string }>(client, `SELECT count() AS n FROM transactions_enriched FINAL WHERE ${range}`);
  const sample = sampleClause(Number(c?.n ?? 0), sampleSize);
  const result = await rows<{ feature_values: (number | null)[] }>(
    client,
    `SELECT feature_values FROM transactions_enriched FINAL WHERE ${range} ${sample.text}`,
  );
  return result.map((r) => r.feature_values.map(num));
}

/** Requests sampled by id: about `max` of `count` (candidate vectors are logged per request). */
function requestSample(count: number, max: number): SqlFragment {
  if (count <= max) return raw('');
  return raw(`AND cityHash64(request_id) % ${Math.ceil(count / max)} = 0`);
}

/** A recommendation request's candidate vectors with the ranking model and variant that ranked them. */
export interface CandidateVectors {
  model_name: string;
  model_version: string;
  variant: string;
  vectors: number[][];
}

/**
 * The candidate vectors logged for the requests of the window (recsys_enriched_requests, migration
 * 0014) of `featureSet`, per request with the model that ranked it (lists the rules ranked alone are
 * left out). About `maxRequests` requests, sampled by request id above that.
 */
export async function candidateVectors(
  client: ClickHouseClient,
  from: number,
  to: number,
  maxRequests: number,
  featureSet: { name: string; version: number },
): Promise<CandidateVectors[]> {
  const range = sql`event_time >= ${at(from)} AND event_time < ${at(to)}`;
  const own = sql`${raw(range)} AND feature_set = ${featureSet.name} AND feature_set_version = ${featureSet.version}`;
  const [c] = await rows<{ n: string }>(client, `SELECT count() AS n FROM recsys_enriched_requests FINAL WHERE ${own}`);
  const sample = requestSample(Number(c?.n ?? 0), maxRequests).text;
  const result = await rows<{
    model_name: string;
    model_version: string;
    variant: string;
    feature_values: (number | null)[][];
  }>(
    client,
    `SELECT model_name, model_version, variant, feature_values FROM (
      SELECT request_id, feature_values FROM recsys_enriched_requests FINAL WHERE ${own} ${sample}
    ) ANY INNER JOIN (
      SELECT request_id, assumeNotNull(model_name) AS model_name, assumeNotNull(model_version) AS model_version,
        experiment_variant AS variant
      FROM recsys_recommendations FINAL WHERE ${range} AND isNotNull(model_name)
    ) USING request_id`,
  );
  return result.map((r) => ({
    model_name: r.model_name,
    model_version: r.model_version,
    variant: r.variant,
    vectors: r.feature_values.map((v) => v.map(num)),
  }));
}

/** Every candidate vector of `featureSet` logged in the reference window (model-independent), about `maxRequests` requests. */
export async function referenceCandidateVectors(
  client: ClickHouseClient,
  from: number,
  to: number,
  maxRequests: number,
  featureSet: { name: string; version: number },
): Promise<number[][]> {
  const own = sql`event_time >= ${at(from)} AND event_time < ${at(to)} AND feature_set = ${featureSet.name} AND feature_set_version = ${featureSet.version}`;
  const [c] = await rows<{ n: string }>(client, `SELECT count() AS n FROM recsys_enriched_requests FINAL WHERE ${own}`);
  const sample = requestSample(Number(c?.n ?? 0), maxRequests).text;
  const result = await rows<{ feature_values: (number | null)[][] }>(
    client,
    `SELECT feature_values FROM recsys_enriched_requests FINAL WHERE ${own} ${sample}`,
  );
  return result.flatMap((r) => r.feature_values.map((v) => v.map(num)));
}

/** One model's scores in the reference window (empty for a model that was not scoring then), sampled. */
export async function referenceScores(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  sampleSize: number,
): Promise<number[]> {
  const sample = sampleClause(await countScored(client, m, from, to), sampleSize);
  const result = await rows<{ score: number }>(
    client,
    `SELECT score FROM scores FINAL WHERE ${scoredBy(m, from, to)} ${sample.text}`,
  );
  return result.map((r) => num(r.score));
}

/**
 * Rows per variant in [from, to) shifted back by 0, 1, ..., `days` days: the window's volume and the
 * same hours on each preceding day.
 */
export async function volumeByDay(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  days: number,
): Promise<Map<string, number[]>> {
  const shifts = Array.from({ length: days + 1 }, (_, d) => d);
  const columns = shifts
    .map(
      (d) =>
        `countIf(event_time >= toDateTime(${seconds(from) - d * DAY_S}) AND event_time < toDateTime(${seconds(to) - d * DAY_S})) AS d${d}`,
    )
    .join(', ');
  const result = await rows<Record<string, string>>(
    client,
    `SELECT variant, ${columns} FROM (${scoredWithVariant(m, from - days * DAY_S * 1000, to)}) GROUP BY variant`,
  );
  return new Map(result.map((r) => [r.variant as string, shifts.map((d) => Number(r[`d${d}`]))]));
}

/** Transactions logged in [from, to) by event time, every model alike. */
export async function transactionCount(client: ClickHouseClient, from: number, to: number): Promise<number> {
  const [r] = await rows<{ n: string }>(
    client,
    sql`SELECT count() AS n FROM transactions_enriched FINAL WHERE event_time >= ${at(from)} AND event_time < ${at(to)}`,
  );
  return Number(r?.n ?? 0);
}

/**
 * Dead letters of [from, to) per service and error type. Event clock: by the original transaction's
 * event time where the sink could read it, else by when it was dead-lettered (close to event time in
 * live traffic). Wall clock: by when it was dead-lettered.
 */
export async function deadLetterCounts(
  client: ClickHouseClient,
  from: number,
  to: number,
  clock: 'event' | 'wall',
): Promise<DeadLetterCount[]> {
  const time = raw(clock === 'event' ? 'ifNull(event_time, dead_lettered_at)' : 'dead_lettered_at');
  const result = await rows<{ service: string; error_type: string; n: string }>(
    client,
    sql`SELECT service, error_type, count() AS n FROM dead_letters FINAL
    WHERE ${time} >= ${at(from)} AND ${time} < ${at(to)}
    GROUP BY service, error_type`,
  );
  return result.map((r) => ({ service: r.service, error_type: r.error_type, n: Number(r.n) }));
}

/** Decisions taken by one model per variant and action: in the window, and over the preceding `days` days' same hours. */
export async function decisionMix(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  days: number,
): Promise<Map<string, { current: Record<string, number>; usual: Record<string, number> }>> {
  const inShift = (d: number) =>
    `(event_time >= toDateTime(${seconds(from) - d * DAY_S}) AND event_time < toDateTime(${seconds(to) - d * DAY_S}))`;
  const previous = Array.from({ length: days }, (_, i) => inShift(i + 1)).join(' OR ');
  const result = await rows<{ variant: string; action: string; current: string; usual: string }>(
    client,
    sql`SELECT experiment_variant AS variant, toString(action) AS action,
      countIf(${raw(inShift(0))}) AS current, countIf(${raw(previous || '0')}) AS usual
    FROM decisions FINAL
    WHERE model_name = ${m.model_name} AND model_version = ${m.model_version}
      AND event_time >= toDateTime(${raw(String(seconds(from) - days * DAY_S))}) AND event_time < ${at(to)}
    GROUP BY variant, action`,
  );
  const out = new Map<string, { current: Record<string, number>; usual: Record<string, number> }>();
  for (const r of result) {
    let entry = out.get(r.variant);
    if (!entry) {
      entry = { current: {}, usual: {} };
      out.set(r.variant, entry);
    }
    entry.current[r.action] = Number(r.current);
    entry.usual[r.action] = Number(r.usual);
  }
  return out;
}

/** Scored transactions of the window whose label is known at `asOf`, with the newest label known then. */
function labelled(m: ModelRef, from: number, to: number, asOf: number): string {
  return sql`SELECT variant, customer_id, toDate(event_time, 'UTC') AS day, score, is_fraud FROM (${raw(scoredWithVariant(m, from, to))})
    ANY INNER JOIN (
      SELECT transaction_id AS event_id, argMax(is_fraud, label_time_ms) AS is_fraud FROM labels
      WHERE label_time >= ${at(from)} AND label_time <= ${at(asOf)}
      GROUP BY transaction_id
    ) USING event_id`;
}

/** (score, label) pairs per variant, for ROC AUC and average precision. */
export async function labelledScores(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  asOf: number,
): Promise<Map<string, { scores: number[]; labels: (0 | 1)[] }>> {
  const result = await rows<{ variant: string; score: number; is_fraud: number }>(
    client,
    `SELECT variant, score, is_fraud FROM (${labelled(m, from, to, asOf)})`,
  );
  const out = new Map<string, { scores: number[]; labels: (0 | 1)[] }>();
  for (const r of result) {
    let entry = out.get(r.variant);
    if (!entry) {
      entry = { scores: [], labels: [] };
      out.set(r.variant, entry);
    }
    entry.scores.push(num(r.score));
    entry.labels.push(Number(r.is_fraud) === 1 ? 1 : 0);
  }
  return out;
}

/**
 * Computed in ClickHouse per variant: labelled rows, frauds, confusion counts at the operating
 * threshold, and card precision@k (each day the k cards with the highest score, ties by card id;
 * the share with a fraud that day; the mean over days).
 */
export async function performanceCounts(
  client: ClickHouseClient,
  m: ModelRef,
  from: number,
  to: number,
  asOf: number,
  threshold: number,
  k: number,
): Promise<Map<string, PerformanceCounts>> {
  const base = labelled(m, from, to, asOf);
  const confusion = await rows<Record<string, string>>(
    client,
    sql`SELECT variant, count() AS labelled, sum(is_fraud) AS frauds,
      countIf(score >= ${threshold} AND is_fraud = 1) AS tp,
      countIf(score >= ${threshold} AND is_fraud = 0) AS fp,
      countIf(score < ${threshold} AND is_fraud = 1) AS fn
    FROM (${raw(base)}) GROUP BY variant`,
  );
  const cards = await rows<{ variant: string; card_precision: number }>(
    client,
    sql`SELECT variant, avg(p) AS card_precision FROM (
      SELECT variant, day, sum(compromised) / count() AS p FROM (
        SELECT variant, day, customer_id, max(score) AS best, max(is_fraud) AS compromised
        FROM (${raw(base)}) GROUP BY variant, day, customer_id
        ORDER BY variant, day, best DESC, customer_id
        LIMIT ${raw(String(Math.max(1, Math.floor(k))))} BY variant, day
      ) GROUP BY variant, day
    ) GROUP BY variant`,
  );
  const cardByVariant = new Map(cards.map((c) => [c.variant, num(c.card_precision)]));
  return new Map(
    confusion.map((r) => [
      r.variant as string,
      {
        labelled: Number(r.labelled),
        frauds: Number(r.frauds),
        tp: Number(r.tp),
        fp: Number(r.fp),
        fn: Number(r.fn),
        cardPrecision: cardByVariant.get(r.variant as string) ?? Number.NaN,
      },
    ]),
  );
}

function insertSql(table: string, columns: readonly string[], values: readonly SqlValue[][]): string {
  return `INSERT INTO ${identifier(table).text} (${columns.map((c) => identifier(c).text).join(', ')}) VALUES\n${values
    .map((row) => `(${row.map(literal).join(', ')})`)
    .join(',\n')}`;
}

async function insert(client: ClickHouseClient, table: string, columns: readonly string[], values: SqlValue[][]) {
  if (values.length > 0) await client.command({ query: insertSql(table, columns, values) });
}

export interface FigureRow extends Figure {
  model_name: string;
  model_version: string;
  variant: string;
  windowStart: number;
  windowEnd: number;
  referenceStart: number;
  referenceEnd: number;
}

export async function insertFigures(client: ClickHouseClient, figures: readonly FigureRow[], now: number) {
  await insert(
    client,
    'monitor_metrics',
    [
      'window_start',
      'window_end',
      'kind',
      'model_name',
      'model_version',
      'variant',
      'subject',
      'metric',
      'value',
      'threshold',
      'breached',
      'n',
      'n_reference',
      'reference_start',
      'reference_end',
      'computed_at',
      'computed_at_ms',
    ],
    figures.map((f) => [
      seconds(f.windowStart),
      seconds(f.windowEnd),
      f.kind,
      f.model_name,
      f.model_version,
      f.variant,
      f.subject,
      f.metric,
      f.value,
      f.threshold,
      f.breached,
      f.n,
      f.nReference,
      seconds(f.referenceStart),
      seconds(f.referenceEnd),
      seconds(now),
      now,
    ]),
  );
}

export async function readEpisodes(client: ClickHouseClient): Promise<EpisodeState[]> {
  const result = await rows<{
    kind: EpisodeState['kind'];
    model_name: string;
    model_version: string;
    variant: string;
    state: 'OPEN' | 'CLOSED';
    episode_id: string;
    opened_at: string;
    clean_runs: number;
    last_window_end: string;
  }>(
    client,
    `SELECT kind, model_name, model_version, variant, state, episode_id, toUInt64(opened_at) AS opened_at,
      clean_runs, toUInt64(last_window_end) AS last_window_end FROM monitor_episodes FINAL`,
  );
  return result.map((r) => ({
    ...r,
    clean_runs: Number(r.clean_runs),
    opened_at: Number(r.opened_at) * 1000,
    last_window_end: Number(r.last_window_end) * 1000,
  }));
}

export async function writeEpisodes(client: ClickHouseClient, states: readonly EpisodeState[]) {
  await insert(
    client,
    'monitor_episodes',
    [
      'kind',
      'model_name',
      'model_version',
      'variant',
      'state',
      'episode_id',
      'opened_at',
      'clean_runs',
      'last_window_end',
      'version',
    ],
    states.map((s) => [
      s.kind,
      s.model_name,
      s.model_version,
      s.variant,
      s.state,
      s.episode_id,
      seconds(s.opened_at),
      s.clean_runs,
      seconds(s.last_window_end),
      s.last_window_end,
    ]),
  );
}

export async function insertAlerts(client: ClickHouseClient, alerts: readonly { alert: Alert; triggerId: string }[]) {
  await insert(
    client,
    'monitor_alerts',
    [
      'alert_id',
      'episode_id',
      'status',
      'kind',
      'model_name',
      'model_version',
      'variant',
      'window_start',
      'window_end',
      'reasons',
      'evidence_subjects',
      'evidence_metrics',
      'evidence_values',
      'trigger_id',
      'emitted_at',
      'emitted_at_ms',
    ],
    alerts.map(({ alert: a, triggerId }) => [
      a.alert_id,
      a.episode_id,
      a.status,
      a.check,
      a.model_name,
      a.model_version,
      a.variant,
      seconds(a.window_start),
      seconds(a.window_end),
      a.reasons,
      a.evidence.map((e) => e.subject),
      a.evidence.map((e) => e.metric),
      a.evidence.map((e) => e.value),
      triggerId,
      seconds(a.emitted_at),
      a.emitted_at,
    ]),
  );
}

export interface RunRow {
  windowStart: number;
  windowEnd: number;
  clock: 'event' | 'wall';
  models: number;
  rows: number;
  figures: number;
  breaches: number;
  alerts: number;
  triggers: number;
  durationMs: number;
}

export async function insertRun(client: ClickHouseClient, run: RunRow, now: number) {
  await insert(
    client,
    'monitor_runs',
    [
      'window_start',
      'window_end',
      'clock',
      'models',
      'rows',
      'figures',
      'breaches',
      'alerts',
      'triggers',
      'duration_ms',
      'computed_at',
      'computed_at_ms',
    ],
    [
      [
        seconds(run.windowStart),
        seconds(run.windowEnd),
        run.clock.toUpperCase(),
        run.models,
        run.rows,
        run.figures,
        run.breaches,
        run.alerts,
        run.triggers,
        run.durationMs,
        seconds(now),
        now,
      ],
    ],
  );
}
