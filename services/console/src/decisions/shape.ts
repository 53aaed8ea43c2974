import type { FeatureSet } from '@pipeline/feature-sets';
import type { DecisionRow, EnrichedRow, JsonRow, LabelRow, ScoreRow } from '@pipeline/sink';
import type { TimeRange } from './queries.js';

/** ClickHouse's JSON of the mix query (64-bit counts arrive as strings). */
export interface MixRow {
  t: number | string;
  action: string;
  path: string;
  variant: string;
  n: number | string;
}

/** Counts per bucket for each value of one dimension: `series[name][i]` is bucket `times[i]`. */
export interface Breakdown {
  names: string[];
  series: Record<string, number[]>;
}

export interface DecisionMix {
  range: TimeRange;
  /** Bucket starts, epoch seconds, every bucket of the range (empty ones too). */
  times: number[];
  total: number;
  byAction: Breakdown;
  byPath: Breakdown;
  byVariant: Breakdown;
}

const ACTION_ORDER = ['APPROVE', 'STEP_UP', 'REVIEW', 'DECLINE'];
const PATH_ORDER = ['MODEL_AND_RULES', 'RULES_ONLY'];

function ordered(names: Iterable<string>, order: readonly string[]): string[] {
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The mix rows pivoted into one series per action, per path and per variant over every bucket. */
export function pivotMix(range: TimeRange, rows: readonly MixRow[]): DecisionMix {
  const times: number[] = [];
  for (let t = range.from; t < range.to; t += range.bucket) times.push(t);
  const index = new Map(times.map((t, i) => [t, i] as const));
  const breakdown = (key: 'action' | 'path' | 'variant', order: readonly string[]): Breakdown => {
    const names = ordered(
      rows.map((r) => r[key]),
      order,
    );
    const series: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, times.map(() => 0)]));
    for (const r of rows) {
      const i = index.get(Number(r.t));
      const s = series[r[key]];
      if (i === undefined || !s) continue;
      s[i] = (s[i] ?? 0) + Number(r.n);
    }
    return { names, series };
  };
  return {
    range,
    times,
    total: rows.reduce((sum, r) => (index.has(Number(r.t)) ? sum + Number(r.n) : sum), 0),
    byAction: breakdown('action', ACTION_ORDER),
    byPath: breakdown('path', PATH_ORDER),
    byVariant: breakdown('variant', ['control']),
  };
}

/** A decision as the console reads it (decisionByIdSql): the sink's row, as ClickHouse's JSON gives it. */
export type DecisionRowJson = JsonRow<
  Omit<DecisionRow, 'decided_at'>,
  'event_time' | 'feature_set_version' | 'decided_at_ms'
>;

/**
 * A transaction as the console reads it (transactionByIdSql): the sink's row without the hashes, the
 * seconds column and the event time's milliseconds; the feature values as text (`nan` and `inf` do
 * not survive JSON).
 */
export type TransactionRowJson = JsonRow<
  Omit<EnrichedRow, 'device_hash' | 'ip_hash' | 'computed_at' | 'feature_values' | 'event_time_ms'>,
  'event_time' | 'amount_minor' | 'feature_set_version' | 'computed_at_ms'
> & { feature_values: string[] };

/** A score as the console reads it (scoresByIdSql): the sink's row, without what the decision already says. */
export type ScoreRowJson = JsonRow<
  Pick<
    ScoreRow,
    | 'model_name'
    | 'model_version'
    | 'score'
    | 'shadow'
    | 'latency_ms'
    | 'scored_at_ms'
    | 'contribution_features'
    | 'contribution_values'
  >,
  'scored_at_ms'
>;

/** A label's verdict and time (labelsByIdSql), from the sink's labels table. */
export type LabelRowJson = JsonRow<Pick<LabelRow, 'is_fraud' | 'label_time_ms'>, 'label_time_ms'>;

export interface Provenance {
  eventId: string;
  decision: {
    action: string;
    path: string;
    score: number | null;
    reasons: string[];
    rulesFired: string[];
    ruleSetVersion: string;
    model: string | null;
    variant: string;
    customerId: string;
    eventTime: number;
    decidedAtMs: number;
  };
  transaction: {
    terminalId: string;
    amountMinor: number;
    currency: string;
    channel: string;
    country: string;
    computedAtMs: number;
  } | null;
  /** The feature vector as logged, named by the feature set when the console knows its version. */
  features: { featureSet: string; named: boolean; values: { name: string; value: string }[] } | null;
  scores: {
    model: string;
    score: number;
    shadow: boolean;
    deciding: boolean;
    latencyMs: number;
    scoredAtMs: number;
    contributions: { feature: string; value: number }[];
  }[];
  latency: {
    /** Features computed (enriched produced) to decision, from the logged times. */
    featuresToDecisionMs: number | null;
    /** The deciding model's own inference time, as the scorer logged it. */
    scoringMs: number | null;
  };
  label: { isFraud: boolean; labelTimeMs: number } | null;
  review: { isFraud: boolean; reviewer: string; reviewedAtMs: number } | null;
}

/** A NaN or an infinity reads as the text ClickHouse wrote, a number in its shortest form. */
function featureText(value: string): string {
  if (value === 'nan' || value === '-nan') return 'NaN';
  if (value === 'inf' || value === '+inf') return '∞';
  if (value === '-inf') return '−∞';
  const n = Number(value);
  return Number.isFinite(n) ? String(Number(n.toPrecision(6))) : value;
}

/** Everything the console holds about one event, from the sink's tables, in one object. */
export function provenance(
  decision: DecisionRowJson,
  tx: TransactionRowJson | undefined,
  scores: readonly ScoreRowJson[],
  labels: readonly LabelRowJson[],
  review: { is_fraud: number | boolean; reviewer: string; reviewed_at_ms: number | string } | undefined,
  featureSet: FeatureSet,
): Provenance {
  const decidingModel =
    decision.model_name && decision.model_version ? `${decision.model_name}@${decision.model_version}` : null;
  const named =
    tx !== undefined && tx.feature_set === featureSet.name && Number(tx.feature_set_version) === featureSet.version;
  const shaped = scores.map((s) => {
    const model = `${s.model_name}@${s.model_version}`;
    return {
      model,
      score: s.score,
      shadow: Boolean(Number(s.shadow)),
      deciding: model === decidingModel,
      latencyMs: s.latency_ms,
      scoredAtMs: Number(s.scored_at_ms),
      contributions: s.contribution_features.map((feature, i) => ({ feature, value: s.contribution_values[i] ?? 0 })),
    };
  });
  const deciding = shaped.find((s) => s.deciding);
  const decidedAtMs = Number(decision.decided_at_ms);
  const latest = labels[0];
  return {
    eventId: decision.event_id,
    decision: {
      action: decision.action,
      path: decision.path,
      score: decision.score,
      reasons: decision.reason_codes,
      rulesFired: decision.reason_codes.filter((r) => r.startsWith('RULE:')).map((r) => r.slice('RULE:'.length)),
      ruleSetVersion: decision.rule_set_version,
      model: decidingModel,
      variant: decision.experiment_variant,
      customerId: decision.customer_id,
      eventTime: Number(decision.event_time),
      decidedAtMs,
    },
    transaction: tx
      ? {
          terminalId: tx.terminal_id,
          amountMinor: Number(tx.amount_minor),
          currency: tx.currency,
          channel: tx.channel,
          country: tx.country,
          computedAtMs: Number(tx.computed_at_ms),
        }
      : null,
    features: tx
      ? {
          featureSet: `${tx.feature_set} v${tx.feature_set_version}`,
          named,
          values: tx.feature_values.map((v, i) => ({
            name: named ? (featureSet.names[i] ?? `#${i}`) : `#${i}`,
            value: featureText(v),
          })),
        }
      : null,
    scores: shaped,
    latency: {
      featuresToDecisionMs: tx ? decidedAtMs - Number(tx.computed_at_ms) : null,
      scoringMs: deciding ? deciding.latencyMs : null,
    },
    label: latest ? { isFraud: Boolean(Number(latest.is_fraud)), labelTimeMs: Number(latest.label_time_ms) } : null,
    review: review
      ? {
          isFraud: Boolean(Number(review.is_fraud)),
          reviewer: review.reviewer,
          reviewedAtMs: Number(review.reviewed_at_ms),
        }
      : null,
  };
}

export interface QueueItem {
  eventId: string;
  customerId: string;
  eventTime: number;
  score: number | null;
  reasons: string[];
  variant: string;
  modelVersion: string | null;
  path: string;
  amountMinor: number | null;
  currency: string | null;
  channel: string | null;
  terminalId: string | null;
}

/** What the queue reads of a transaction (queueTransactionsSql). */
export type QueueTransaction = Pick<
  TransactionRowJson,
  'event_id' | 'terminal_id' | 'amount_minor' | 'currency' | 'channel'
>;

/** Queue rows with their transaction's amount and channel where the sink has stored it. */
export function queueItems(
  // console_review_queue keeps these columns of the sink's decisions as they are (migration 0006).
  rows: readonly Pick<
    DecisionRowJson,
    | 'event_id'
    | 'customer_id'
    | 'event_time'
    | 'score'
    | 'reason_codes'
    | 'experiment_variant'
    | 'model_version'
    | 'path'
  >[],
  txs: readonly QueueTransaction[],
): QueueItem[] {
  const byId = new Map(txs.map((t) => [t.event_id, t] as const));
  return rows.map((r) => {
    const tx = byId.get(r.event_id);
    return {
      eventId: r.event_id,
      customerId: r.customer_id,
      eventTime: Number(r.event_time),
      score: r.score,
      reasons: r.reason_codes,
      variant: r.experiment_variant,
      modelVersion: r.model_version,
      path: r.path,
      amountMinor: tx ? Number(tx.amount_minor) : null,
      currency: tx?.currency ?? null,
      channel: tx?.channel ?? null,
      terminalId: tx?.terminal_id ?? null,
    };
  });
}
