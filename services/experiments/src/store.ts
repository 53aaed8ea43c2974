import { type ClickHouseClient, identifier, literal, raw, type SqlValue, sql } from '@pipeline/shared';
import type { ExperimentDecision } from '@pipeline/topology';
import { METRIC_NAMES, METRICS, type MetricName } from './analysis/metrics.js';
import { EMPTY_MOMENTS, type Moments } from './analysis/ratio.js';
import { RECSYS_METRIC_NAMES, type RecsysMetric } from './analysis/recsys.js';

/**
 * Every query the experiment job runs and every row it writes. SQL for ClickHouse 18.16 and current:
 * one JOIN per SELECT (nested, USING), FINAL to deduplicate, values through the shared escaping
 * helper, times as toDateTime(<epoch seconds>).
 */

const at = (ms: number) => raw(`toDateTime(${Math.floor(ms / 1000)})`);
const seconds = (ms: number) => Math.floor(ms / 1000);

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/** NaN comes back from JSON formats as null. */
const num = (v: number | string | null): number => (v === null ? Number.NaN : Number(v));

export interface Window {
  from: number;
  to: number;
}

/** The filter on the logged variant; variants null: every variant. */
const variantFilter = (variants: readonly string[] | null) =>
  variants === null ? '' : `AND experiment_variant IN (${variants.map(literal).join(', ')})`;

/**
 * Decisions of the variants in the window, with their transaction's amount and features time, and
 * (labelsAsOf given) the newest label known then: is_fraud is 0 for a transaction with no label yet,
 * which after the label lag means genuine (frauds are reported within days, genuine ones confirmed
 * after about a month).
 */
function decided(variants: readonly string[] | null, w: Window, labelsAsOf?: number, extra = ''): string {
  const base = sql`SELECT event_id, customer_id, variant, action, score, decided_at_ms, amount_minor, computed_at_ms FROM (
      SELECT event_id, customer_id, experiment_variant AS variant, toString(action) AS action, score, decided_at_ms
      FROM decisions FINAL
      WHERE event_time >= ${at(w.from)} AND event_time < ${at(w.to)} ${raw(variantFilter(variants))} ${raw(extra)}
    ) ANY LEFT JOIN (
      SELECT event_id, amount_minor, computed_at_ms FROM transactions_enriched FINAL
      WHERE event_time >= ${at(w.from)} AND event_time < ${at(w.to)}
    ) USING event_id`;
  if (labelsAsOf === undefined) return base;
  return sql`SELECT * FROM (${raw(base)}) ANY LEFT JOIN (
      SELECT transaction_id AS event_id, argMax(is_fraud, label_time_ms) AS is_fraud FROM labels
      WHERE label_time >= ${at(w.from)} AND label_time <= ${at(labelsAsOf)}
      GROUP BY transaction_id
    ) USING event_id`;
}

/** A metric's numerator x and denominator y per unit, as ClickHouse aggregates over the unit's rows. */
type PerUnit<M extends string> = Record<M, { x: string; y: string }>;

/**
 * Moments of the metrics per variant, computed in ClickHouse (only a row per variant comes back):
 * x and y summed per unit (`unit`, the randomized column) over the rows `from` yields, then their
 * sums, squares and products over the units of each variant.
 */
async function momentsPerVariant<M extends string>(
  client: ClickHouseClient,
  metrics: readonly M[],
  perUnit: PerUnit<M>,
  unit: string,
  from: string,
): Promise<Map<string, Partial<Record<M, Moments>>>> {
  const inner = metrics.map((m) => `toFloat64(${perUnit[m].x}) AS ${m}_x, toFloat64(${perUnit[m].y}) AS ${m}_y`);
  const outer = metrics.map(
    (m) =>
      `sum(${m}_x) AS ${m}_sx, sum(${m}_y) AS ${m}_sy, sum(${m}_x * ${m}_x) AS ${m}_sxx, sum(${m}_y * ${m}_y) AS ${m}_syy, sum(${m}_x * ${m}_y) AS ${m}_sxy`,
  );
  const result = await rows<Record<string, string | number | null>>(
    client,
    `SELECT variant, count() AS units, ${outer.join(', ')} FROM (
      SELECT variant, ${unit}, ${inner.join(', ')} FROM ${from}
      GROUP BY variant, ${unit}
    ) GROUP BY variant`,
  );
  const out = new Map<string, Partial<Record<M, Moments>>>();
  for (const r of result) {
    const entry: Partial<Record<M, Moments>> = {};
    for (const m of metrics) {
      entry[m] = {
        units: Number(r.units),
        x: num(r[`${m}_sx`] ?? null),
        y: num(r[`${m}_sy`] ?? null),
        xx: num(r[`${m}_sxx`] ?? null),
        yy: num(r[`${m}_syy`] ?? null),
        xy: num(r[`${m}_sxy`] ?? null),
      };
    }
    out.set(String(r.variant), entry);
  }
  return out;
}

/** Per customer, each metric's numerator x and denominator y (METRICS says what they mean). */
const PER_CUSTOMER: PerUnit<MetricName> = {
  fraud_caught_per_txn: { x: "sumIf(amount_minor, is_fraud = 1 AND action != 'APPROVE')", y: 'count()' },
  fraud_money_recall: {
    x: "sumIf(amount_minor, is_fraud = 1 AND action != 'APPROVE')",
    y: 'sumIf(amount_minor, is_fraud = 1)',
  },
  decline_rate: { x: "countIf(action = 'DECLINE')", y: 'count()' },
  review_rate: { x: "countIf(action = 'REVIEW')", y: 'count()' },
  latency_ms: {
    x: 'sumIf(toInt64(decided_at_ms) - toInt64(computed_at_ms), computed_at_ms > 0)',
    y: 'countIf(computed_at_ms > 0)',
  },
  fp_per_1000_genuine: { x: "countIf(is_fraud = 0 AND action != 'APPROVE')", y: 'countIf(is_fraud = 0)' },
};

/**
 * Moments of the metrics per variant, customers as units: the labelled metrics (labelsAsOf given)
 * or the operational ones; variants null: every decision (the baseline before the experiment).
 */
export async function momentsByVariant(
  client: ClickHouseClient,
  variants: readonly string[] | null,
  w: Window,
  labelsAsOf?: number,
): Promise<Map<string, Partial<Record<MetricName, Moments>>>> {
  const labelled = labelsAsOf !== undefined;
  const metrics = METRIC_NAMES.filter((m) => METRICS[m].labelled === labelled);
  if (variants?.length === 0 || w.to <= w.from) return new Map();
  return momentsPerVariant(client, metrics, PER_CUSTOMER, 'customer_id', `(${decided(variants, w, labelsAsOf)})`);
}

/** Per user, each recommendation metric's numerator x and denominator y (RECSYS_METRICS says what they mean). */
const PER_USER: PerUnit<RecsysMetric> = {
  ctr: { x: 'sum(clicked)', y: 'sum(items_shown)' },
  ndcg_at_10: { x: 'sumIf(ifNull(ndcg_at_10, 0), relevant > 0)', y: 'countIf(relevant > 0)' },
};

/**
 * Moments of the recommendation metrics per variant, users as units, over the lists recommended in
 * the window with the labels the sink holds (the view recsys_recommendation_quality, migrations
 * 0013, 0015); variants null: every list (the baseline).
 */
export async function recsysMomentsByVariant(
  client: ClickHouseClient,
  variants: readonly string[] | null,
  w: Window,
): Promise<Map<string, Partial<Record<RecsysMetric, Moments>>>> {
  if (variants?.length === 0 || w.to <= w.from) return new Map();
  const range = sql`event_time >= ${at(w.from)} AND event_time < ${at(w.to)}`;
  const lists = `(
        SELECT request_id, experiment_variant AS variant, items_shown, clicked, relevant, ndcg_at_10
        FROM recsys_recommendation_quality WHERE ${range} ${variantFilter(variants)}
      ) ANY INNER JOIN (
        SELECT request_id, user_id FROM recsys_recommendations FINAL WHERE ${range}
      ) USING request_id`;
  return momentsPerVariant(client, RECSYS_METRIC_NAMES, PER_USER, 'user_id', lists);
}

/** All variants' moments added: the pooled baseline. */
export function pooled<M extends string>(byVariant: Map<string, Partial<Record<M, Moments>>>, metric: M): Moments {
  let total: Moments = EMPTY_MOMENTS;
  for (const entry of byVariant.values()) {
    const m = entry[metric];
    if (m)
      total = {
        units: total.units + m.units,
        x: total.x + m.x,
        y: total.y + m.y,
        xx: total.xx + m.xx,
        yy: total.yy + m.yy,
        xy: total.xy + m.xy,
      };
  }
  return total;
}

export interface ScoredRow {
  variant: string;
  score: number;
  flagged: boolean;
  amount: number;
  isFraud: boolean;
}

/** Scored decisions of the window (labels as known at labelsAsOf), sampled by event id above maxRows. */
export async function scoredRows(
  client: ClickHouseClient,
  variants: readonly string[],
  w: Window,
  labelsAsOf: number,
  maxRows: number,
): Promise<ScoredRow[]> {
  if (variants.length === 0 || w.to <= w.from) return [];
  const filter = sql`event_time >= ${at(w.from)} AND event_time < ${at(w.to)} AND experiment_variant IN (${raw(variants.map(literal).join(', '))}) AND isNotNull(score)`;
  const [c] = await rows<{ n: string }>(client, `SELECT count() AS n FROM decisions FINAL WHERE ${filter}`);
  const count = Number(c?.n ?? 0);
  const sample = count > maxRows ? `AND cityHash64(event_id) % ${Math.ceil(count / maxRows)} = 0` : '';
  const result = await rows<{ variant: string; score: number; action: string; amount_minor: string; is_fraud: number }>(
    client,
    `SELECT variant, assumeNotNull(score) AS score, action, amount_minor, is_fraud
    FROM (${decided(variants, w, labelsAsOf, `AND isNotNull(score) ${sample}`)})`,
  );
  return result.map((r) => ({
    variant: r.variant,
    score: num(r.score),
    flagged: r.action !== 'APPROVE',
    amount: Number(r.amount_minor),
    isFraud: Number(r.is_fraud) === 1,
  }));
}

/**
 * The tables a use case's decisions are logged in: fraud's `decisions`, recommendations'
 * `recsys_recommendations`; both carry event_time, experiment_variant, path and the model.
 */
export type DecisionLog = 'decisions' | 'recsys_recommendations';

/** The model deciding for each variant in the window (the most frequent on the model path), as name@version. */
export async function modelsByVariant(
  client: ClickHouseClient,
  variants: readonly string[],
  w: Window,
  log: DecisionLog = 'decisions',
): Promise<Map<string, string>> {
  if (variants.length === 0 || w.to <= w.from) return new Map();
  const result = await rows<{ variant: string; model: string }>(
    client,
    sql`SELECT variant, model FROM (
      SELECT experiment_variant AS variant, concat(ifNull(model_name, ''), '@', ifNull(model_version, '')) AS model, count() AS n
      FROM ${identifier(log)} FINAL
      WHERE event_time >= ${at(w.from)} AND event_time < ${at(w.to)} AND path = 'MODEL_AND_RULES' AND isNotNull(model_name)
        AND experiment_variant IN (${raw(variants.map(literal).join(', '))})
      GROUP BY variant, model ORDER BY variant, n DESC, model LIMIT 1 BY variant
    )`,
  );
  return new Map(result.map((r) => [r.variant, r.model]));
}

/** Earliest and newest decision time (ms) of the variants, undefined when there is none. */
export async function decisionTimes(
  client: ClickHouseClient,
  variants: readonly string[],
  log: DecisionLog = 'decisions',
): Promise<{ first: number; last: number } | undefined> {
  if (variants.length === 0) return undefined;
  const [r] = await rows<{ first: string; last: string; n: string }>(
    client,
    `SELECT toUInt64(min(event_time)) AS first, toUInt64(max(event_time)) AS last, count() AS n FROM ${identifier(log).text}
    WHERE experiment_variant IN (${variants.map(literal).join(', ')})`,
  );
  return r && Number(r.n) > 0 ? { first: Number(r.first) * 1000, last: Number(r.last) * 1000 } : undefined;
}

/** The newest decision's event time (ms): how far the event-time clock has come. */
export async function newestDecision(
  client: ClickHouseClient,
  log: DecisionLog = 'decisions',
): Promise<number | undefined> {
  const [r] = await rows<{ t: string; n: string }>(
    client,
    `SELECT toUInt64(max(event_time)) AS t, count() AS n FROM ${identifier(log).text}`,
  );
  return r && Number(r.n) > 0 ? Number(r.t) * 1000 : undefined;
}

export async function lastLook(client: ClickHouseClient, experiment: string): Promise<number | undefined> {
  const [r] = await rows<{ t: string; n: string }>(
    client,
    sql`SELECT toUInt64(max(as_of)) AS t, count() AS n FROM experiment_decisions FINAL WHERE experiment = ${experiment}`,
  );
  return r && Number(r.n) > 0 ? Number(r.t) * 1000 : undefined;
}

/** Per challenger, the verdict and minimum p-value of the last look before asOf. */
export async function previousLooks(
  client: ClickHouseClient,
  experiment: string,
  asOf: number,
): Promise<Map<string, { verdict: ExperimentDecision['verdict']; minPValue: number }>> {
  const result = await rows<{ variant: string; verdict: ExperimentDecision['verdict']; p: number | null }>(
    client,
    sql`SELECT variant, toString(argMax(verdict, as_of)) AS verdict, argMax(min_p_value, as_of) AS p
    FROM experiment_decisions FINAL WHERE experiment = ${experiment} AND as_of < ${at(asOf)} GROUP BY variant`,
  );
  return new Map(result.map((r) => [r.variant, { verdict: r.verdict, minPValue: num(r.p) }]));
}

function insertSql(table: string, columns: readonly string[], values: readonly SqlValue[][]): string {
  return `INSERT INTO ${identifier(table).text} (${columns.map((c) => identifier(c).text).join(', ')}) VALUES\n${values
    .map((row) => `(${row.map(literal).join(', ')})`)
    .join(',\n')}`;
}

async function insert(client: ClickHouseClient, table: string, columns: readonly string[], values: SqlValue[][]) {
  if (values.length === 0) return;
  await client.command({ query: insertSql(table, columns, values) });
}

/** One row of experiment_results (infra/clickhouse/migrations/0009_experiment_results.sql). */
export interface ResultRow {
  experiment: string;
  asOf: number;
  variant: string;
  control: string;
  metric: string;
  kind: 'PRIMARY' | 'GUARDRAIL' | 'INFO' | 'ESTIMATE';
  window: Window;
  units: number;
  n: number;
  value: number;
  controlValue: number;
  difference: number;
  ciLow: number;
  ciHigh: number;
  csLow: number;
  csHigh: number;
  pValue: number;
  mde: number;
  realized: number;
  breached: boolean;
}

export const RESULT_COLUMNS = [
  'experiment',
  'as_of',
  'variant',
  'control',
  'metric',
  'kind',
  'window_start',
  'window_end',
  'units',
  'n',
  'value',
  'control_value',
  'difference',
  'ci_low',
  'ci_high',
  'cs_low',
  'cs_high',
  'p_value',
  'mde',
  'realized',
  'breached',
  'computed_at',
  'computed_at_ms',
] as const;

export async function insertResults(client: ClickHouseClient, results: readonly ResultRow[], now: number) {
  await insert(
    client,
    'experiment_results',
    RESULT_COLUMNS,
    results.map((r) => [
      r.experiment,
      seconds(r.asOf),
      r.variant,
      r.control,
      r.metric,
      r.kind,
      seconds(r.window.from),
      seconds(r.window.to),
      r.units,
      r.n,
      r.value,
      r.controlValue,
      r.difference,
      r.ciLow,
      r.ciHigh,
      r.csLow,
      r.csHigh,
      r.pValue,
      r.mde,
      r.realized,
      r.breached,
      seconds(now),
      now,
    ]),
  );
}

export const DECISION_COLUMNS = [
  'decision_id',
  'experiment',
  'variant',
  'control',
  'as_of',
  'verdict',
  'recommendation',
  'mode',
  'action_status',
  'action_detail',
  'control_model',
  'variant_model',
  'min_p_value',
  'reasons',
  'computed_at',
  'computed_at_ms',
] as const;

export async function insertDecisions(client: ClickHouseClient, decisions: readonly ExperimentDecision[], now: number) {
  await insert(
    client,
    'experiment_decisions',
    DECISION_COLUMNS,
    decisions.map((d) => [
      d.decision_id,
      d.experiment,
      d.variant,
      d.control,
      seconds(d.as_of),
      d.verdict,
      d.recommendation,
      d.mode,
      d.action_status,
      d.action_detail,
      d.control_model,
      d.variant_model,
      d.min_p_value,
      d.reasons,
      seconds(now),
      now,
    ]),
  );
}
