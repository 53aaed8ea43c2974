import { literal, raw, type SqlFragment, sql } from '@pipeline/shared';

/**
 * The console's ClickHouse reads of the sink's tables (migrations 0001, 0004, 0005; docs/analytics.md)
 * and of its own console_reviews and console_review_queue (0006). Every time-ranged read bounds
 * event_time, the daily partition key of decisions, so only the partitions in range are read; single
 * events are looked up by event_id, the sorting key, taking the newest version of a row (ORDER BY the
 * version column, LIMIT 1) rather than FINAL, which cost three to four times as much on 10 million
 * decisions (bench/queries-bench.ts). Runs on ClickHouse 18.16 and current alike (no query parameters: values go through
 * the shared escaping helper).
 */

/** `'a', 'b'`: the values of an IN list, each escaped; never empty (an empty list matches nothing). */
export function inList(values: readonly string[]): SqlFragment {
  return raw(values.length === 0 ? "''" : values.map((v) => literal(v)).join(', '));
}

/** The newest day (YYYYMMDD) that has active decision parts: the partitions alone, no rows read. */
export function newestPartitionSql(): string {
  return `SELECT max(partition) AS p FROM system.parts WHERE database = currentDatabase() AND table = 'decisions' AND active`;
}

/** The newest decision's event time (epoch s) within one daily partition. */
export function newestEventTimeSql(partition: number): string {
  return sql`SELECT toUInt32(max(event_time)) AS t, count() AS n FROM decisions WHERE toYYYYMMDD(event_time) = ${partition}`;
}

/** The bucket width for a span: the smallest of these that gives at most `maxBuckets` bars. */
const BUCKETS_S = [60, 300, 900, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400] as const;
export function bucketSeconds(spanS: number, maxBuckets = 96): number {
  return BUCKETS_S.find((b) => spanS / b <= maxBuckets) ?? 86_400;
}

export interface TimeRange {
  /** Epoch seconds, inclusive. */
  from: number;
  /** Epoch seconds, exclusive. */
  to: number;
  bucket: number;
}

/** `hours` of event time ending with the newest decision (its bucket included). */
export function rangeEndingAt(newestS: number, hours: number): TimeRange {
  const span = hours * 3_600;
  const bucket = bucketSeconds(span);
  const to = (Math.floor(newestS / bucket) + 1) * bucket;
  return { from: to - span, to, bucket };
}

/** Each daily partition of decisions: its active parts and the lowest merge level among them. */
export function decisionDaysSql(): string {
  return `SELECT partition, count() AS parts, min(level) AS min_level FROM system.parts WHERE database = currentDatabase() AND table = 'decisions' AND active GROUP BY partition`;
}

export interface DayRow {
  partition: string;
  parts: number | string;
  min_level: number | string;
}

/** The days (YYYYMMDD) of a range that hold decisions, by whether a row may still have a copy. */
export interface DaySplit {
  settled: number[];
  unsettled: number[];
}

/** UTC date of epoch seconds as YYYYMMDD. */
export function yyyymmdd(epochS: number): number {
  const d = new Date(epochS * 1000);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * A ReplacingMergeTree collapses copies of a key only when it merges parts, so a daily partition
 * made of one merged part (level > 0) holds each decision once and is read without FINAL; a
 * partition of several parts, or of one part as inserted, may hold copies and is read with FINAL.
 * On 10 million decisions, FINAL over seven settled days cost four times the plain read.
 */
export function splitDays(rows: readonly DayRow[], range: Pick<TimeRange, 'from' | 'to'>): DaySplit {
  const first = yyyymmdd(range.from);
  const last = yyyymmdd(range.to - 1);
  const split: DaySplit = { settled: [], unsettled: [] };
  for (const r of rows) {
    const day = Number(r.partition);
    if (!Number.isInteger(day) || day < first || day > last) continue;
    const settled = Number(r.parts) === 1 && Number(r.min_level) > 0;
    (settled ? split.settled : split.unsettled).push(day);
  }
  split.settled.sort((a, b) => a - b);
  split.unsettled.sort((a, b) => a - b);
  return split;
}

/**
 * `select` over the decisions of a range, each decision once: a subquery over the settled days
 * without FINAL and one over the others with FINAL, joined by UNION ALL (each day is in one of
 * them). null when no day of the range holds decisions.
 */
export function overDecisionsOnce(
  range: Pick<TimeRange, 'from' | 'to'>,
  split: DaySplit,
  select: (from: SqlFragment) => string,
): SqlFragment | null {
  const bound = sql`event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to})`;
  const source = (days: readonly number[], final: boolean) =>
    raw(`decisions${final ? ' FINAL' : ''} WHERE ${bound} AND toYYYYMMDD(event_time) IN (${days.join(', ')})`);
  const parts = [
    ...(split.settled.length > 0 ? [select(source(split.settled, false))] : []),
    ...(split.unsettled.length > 0 ? [select(source(split.unsettled, true))] : []),
  ];
  return parts.length === 0 ? null : raw(`(\n  ${parts.join('\n  UNION ALL\n  ')}\n)`);
}

/** Decisions per bucket of event time, by action, path and experiment variant; null when no day holds any. */
export function mixSql(range: TimeRange, split: DaySplit): string | null {
  const decisions = overDecisionsOnce(
    range,
    split,
    (
      from,
    ) => sql`SELECT toUInt32(intDiv(toUInt32(event_time), ${range.bucket}) * ${range.bucket}) AS t, toString(action) AS action, toString(path) AS path, experiment_variant AS variant, count() AS n
  FROM ${from}
  GROUP BY t, action, path, variant`,
  );
  return (
    decisions &&
    sql`SELECT t, action, path, variant, sum(n) AS n
FROM ${decisions}
GROUP BY t, action, path, variant
ORDER BY t
LIMIT 100000`
  );
}

export function decisionByIdSql(eventId: string): string {
  return sql`SELECT event_id, customer_id, toUInt32(event_time) AS event_time, toString(action) AS action, reason_codes, score, toString(path) AS path, rule_set_version, model_name, model_version, feature_set_version, experiment_variant, decided_at_ms
FROM decisions
WHERE event_id = ${eventId}
ORDER BY decided_at_ms DESC
LIMIT 1`;
}

/** Feature values as text: JSON cannot tell NaN from infinity, text can. */
export function transactionByIdSql(eventIds: readonly string[]): string {
  return sql`SELECT event_id, toUInt32(event_time) AS event_time, customer_id, terminal_id, amount_minor, toString(currency) AS currency, toString(channel) AS channel, toString(country) AS country, feature_set, feature_set_version, arrayMap(x -> toString(x), feature_values) AS feature_values, computed_at_ms
FROM transactions_enriched
WHERE event_id IN (${inList(eventIds)})
ORDER BY computed_at_ms DESC
LIMIT 1 BY event_id`;
}

/** What the review queue shows of each transaction: no feature vector (the heaviest column by far). */
export function queueTransactionsSql(eventIds: readonly string[]): string {
  return sql`SELECT event_id, terminal_id, amount_minor, toString(currency) AS currency, toString(channel) AS channel
FROM transactions_enriched
WHERE event_id IN (${inList(eventIds)})
LIMIT 1 BY event_id`;
}

export function scoresByIdSql(eventId: string): string {
  return sql`SELECT model_name, model_version, score, shadow, latency_ms, scored_at_ms, contribution_features, contribution_values
FROM scores
WHERE event_id = ${eventId}
ORDER BY shadow, model_name, model_version, scored_at_ms DESC
LIMIT 1 BY model_name, model_version
LIMIT 20`;
}

export function labelsByIdSql(eventId: string): string {
  return sql`SELECT is_fraud, label_time_ms FROM labels WHERE transaction_id = ${eventId} ORDER BY label_time_ms DESC LIMIT 1 BY label_time_ms LIMIT 10`;
}

export function reviewByIdSql(eventId: string): string {
  return sql`SELECT event_id, is_fraud, reviewer, reviewed_at_ms FROM console_reviews WHERE event_id = ${eventId} ORDER BY reviewed_at_ms DESC LIMIT 1`;
}

/**
 * Decisions to review, oldest event first, not reviewed yet, within the range: from
 * console_review_queue (migration 0006), the REVIEW decisions alone sorted by event time. A decision
 * delivered twice is the same decision: `LIMIT 1 BY event_id` keeps one copy, cheaper than FINAL.
 */
export function reviewQueueSql(range: Pick<TimeRange, 'from' | 'to'>, limit: number): string {
  return sql`SELECT event_id, customer_id, toUInt32(event_time) AS event_time, score, reason_codes, experiment_variant, model_version, toString(path) AS path, decided_at_ms
FROM console_review_queue
WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to})
  AND event_id NOT IN (SELECT event_id FROM console_reviews)
ORDER BY event_time, event_id
LIMIT 1 BY event_id
LIMIT ${limit}`;
}

/** How many events await review in the range (copies of one decision counted once). */
export function reviewPendingSql(range: Pick<TimeRange, 'from' | 'to'>): string {
  return sql`SELECT uniqExact(event_id) AS n
FROM console_review_queue
WHERE event_time >= toDateTime(${range.from}) AND event_time < toDateTime(${range.to})
  AND event_id NOT IN (SELECT event_id FROM console_reviews)`;
}

/**
 * One customer's newest decisions, newest first. `tokens` are the customer's tokens under every key
 * of the ring (the sink stores no raw id): rows written before a key rotation are found too. No index
 * serves customer_id (decisions are sorted by event id), so this reads the column over every
 * partition: a search, not a page that refreshes.
 */
export function customerDecisionsSql(tokens: readonly string[], limit: number): string {
  return sql`SELECT event_id, customer_id, toUInt32(event_time) AS event_time, toString(action) AS action, score, reason_codes, experiment_variant, model_version, toString(path) AS path, decided_at_ms
FROM decisions
WHERE customer_id IN (${inList(tokens)})
ORDER BY event_time DESC, event_id
LIMIT 1 BY event_id
LIMIT ${limit}`;
}
