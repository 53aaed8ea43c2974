import { type ClickHouseClient, errorMessage, type Logger, raw, sql } from '@pipeline/shared';
import { FLAG_THRESHOLD, SCORE_BINS } from './queries.js';

/**
 * The models page's hourly rollup (migration 0007): a day of `console_model_hours` and
 * `console_agreement_hours` is rebuilt from `scores` and `labels` whenever the day's scores change
 * or a label of one of its transactions arrives. Which days changed comes from `system.parts`
 * (rows, parts and newest modification per partition: no data read), and for labels from the
 * transaction times of the labels in the label partitions that changed.
 */

const DAY_S = 86_400;

/** One partition of a table as system.parts tells it; any insert or merge changes the fingerprint. */
export interface PartitionRow {
  partition: string;
  rows: number | string;
  parts: number | string;
  modified: number | string;
}

export function partitionsSql(table: string): string {
  return sql`SELECT partition, sum(rows) AS rows, count() AS parts, toUInt32(max(modification_time)) AS modified
FROM system.parts
WHERE database = currentDatabase() AND table = ${table} AND active
GROUP BY partition`;
}

/** The daily partitions (YYYYMMDD) whose fingerprint differs from `before`, and the fingerprints now. */
export function changedPartitions(
  before: ReadonlyMap<number, string>,
  rows: readonly PartitionRow[],
): { changed: number[]; now: Map<number, string> } {
  const now = new Map<number, string>();
  for (const r of rows) {
    const day = Number(r.partition);
    if (Number.isInteger(day) && /^\d{8}$/.test(r.partition)) now.set(day, `${r.rows}/${r.parts}/${r.modified}`);
  }
  const changed = [...now].filter(([day, print]) => before.get(day) !== print).map(([day]) => day);
  return { changed: changed.sort((a, b) => a - b), now };
}

/** Midnight UTC of a YYYYMMDD day, epoch seconds. */
export function dayStart(day: number): number {
  return Date.UTC(Math.floor(day / 10_000), (Math.floor(day / 100) % 100) - 1, day % 100) / 1000;
}

/**
 * The days of the transactions labelled in the given label partitions at or after `sinceMs` (label
 * time). Labels without a transaction time (stored before migration 0005) are not followed.
 */
export function labelledDaysSql(labelDays: readonly number[], sinceMs: number): string {
  return sql`SELECT toYYYYMMDD(toDateTime(intDiv(assumeNotNull(transaction_time_ms), 1000))) AS day, max(label_time_ms) AS newest
FROM labels
WHERE toYYYYMMDD(label_time) IN (${raw(labelDays.join(', '))}) AND label_time_ms >= ${sinceMs} AND transaction_time_ms IS NOT NULL
GROUP BY day`;
}

const BIN = raw(`toUInt8(least(floor(score * ${SCORE_BINS}), ${SCORE_BINS - 1}))`);

/** The scores of one day, each (event, model) once, as the rebuilds read them. */
function dayScores(day: number, where = ''): string {
  const from = dayStart(day);
  return sql`SELECT event_id, event_time, model_name, model_version, score, shadow
    FROM scores FINAL
    WHERE event_time >= toDateTime(${from}) AND event_time < toDateTime(${from + DAY_S})${raw(where)}`;
}

/** Rebuilds one day of console_model_hours: every model's score bins with the newest label of each event. */
export function rebuildModelHoursSql(day: number, builtAtMs: number): string {
  const from = dayStart(day);
  return sql`INSERT INTO console_model_hours (hour, model_name, model_version, bin, n, deciding, frauds, genuine, built_at_ms)
SELECT toStartOfHour(event_time) AS hour, model_name, model_version, ${BIN} AS bin, count() AS n, countIf(shadow = 0) AS deciding,
  countIf(labelled = 1 AND is_fraud = 1) AS frauds, countIf(labelled = 1 AND is_fraud = 0) AS genuine, ${builtAtMs} AS built_at_ms
FROM (${raw(dayScores(day))})
ANY LEFT JOIN (
  SELECT transaction_id AS event_id, argMax(is_fraud, label_time_ms) AS is_fraud, toUInt8(1) AS labelled
  FROM labels
  WHERE label_time >= toDateTime(${from}) AND transaction_time_ms >= ${from * 1000} AND transaction_time_ms < ${(from + DAY_S) * 1000}
  GROUP BY transaction_id
) USING event_id
GROUP BY hour, model_name, model_version, bin`;
}

/** Rebuilds one day of console_agreement_hours: each shadow score against the deciding score of its event. */
export function rebuildAgreementHoursSql(day: number, builtAtMs: number): string {
  const t = FLAG_THRESHOLD;
  return sql`INSERT INTO console_agreement_hours (hour, deciding_model, model_name, model_version, n, sum_abs_diff, agree, both_flag, deciding_only, other_only, sum_x, sum_y, sum_xx, sum_yy, sum_xy, built_at_ms)
SELECT toStartOfHour(event_time) AS hour, deciding_model, model_name, model_version, count() AS n, sum(abs(score - deciding_score)) AS sum_abs_diff,
  countIf((score >= ${t}) = (deciding_score >= ${t})) AS agree, countIf(score >= ${t} AND deciding_score >= ${t}) AS both_flag,
  countIf(score < ${t} AND deciding_score >= ${t}) AS deciding_only, countIf(score >= ${t} AND deciding_score < ${t}) AS other_only,
  sum(score) AS sum_x, sum(deciding_score) AS sum_y, sum(score * score) AS sum_xx, sum(deciding_score * deciding_score) AS sum_yy,
  sum(score * deciding_score) AS sum_xy, ${builtAtMs} AS built_at_ms
FROM (${raw(dayScores(day, ' AND shadow = 1'))})
ANY INNER JOIN (
  SELECT event_id, concat(model_name, '@', model_version) AS deciding_model, score AS deciding_score
  FROM (${raw(dayScores(day, ' AND shadow = 0'))})
) USING event_id
GROUP BY hour, deciding_model, model_name, model_version`;
}

export interface ModelRollup {
  /** Passes every interval from now on, the first at once. */
  start(): void;
  /** One pass, after any under way: rebuilds the days that changed since the last; resolves with them. */
  run(): Promise<number[]>;
  stop(): void;
}

/**
 * Keeps the rollup current once started: a pass every `intervalMs` (the first at once), one at a time. The first
 * pass after a start rebuilds every day that has scores. A failed pass is logged; the next one retries
 * the same days, since fingerprints only advance when a pass succeeds.
 */
export function createModelRollup(options: {
  client: ClickHouseClient;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}): ModelRollup {
  const { client, intervalMs, logger, now = Date.now } = options;
  let scoreParts = new Map<number, string>();
  let labelParts = new Map<number, string>();
  /** Label time from which labels are followed; an hour of slack for labels that land out of order. */
  let labelsSinceMs = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const rows = async <T>(query: string): Promise<T[]> =>
    (await client.query({ query, format: 'JSONEachRow' })).json<T>();

  const pass = async (): Promise<number[]> => {
    const scores = changedPartitions(scoreParts, await rows<PartitionRow>(partitionsSql('scores')));
    const labels = changedPartitions(labelParts, await rows<PartitionRow>(partitionsSql('labels')));
    const days = new Set(scores.changed);
    let newestLabelMs = labelsSinceMs;
    if (labels.changed.length > 0 && scoreParts.size > 0) {
      for (const r of await rows<{ day: number | string; newest: number | string }>(
        labelledDaysSql(labels.changed, labelsSinceMs),
      )) {
        if (scores.now.has(Number(r.day))) days.add(Number(r.day));
        newestLabelMs = Math.max(newestLabelMs, Number(r.newest));
      }
    } else if (labels.changed.length > 0) {
      const [r] = await rows<{ newest: number | string }>('SELECT max(label_time_ms) AS newest FROM labels');
      newestLabelMs = Number(r?.newest ?? 0);
    }
    const rebuilt = [...days].sort((a, b) => a - b);
    for (const day of rebuilt) {
      const builtAt = now();
      await client.command({ query: rebuildModelHoursSql(day, builtAt) });
      await client.command({ query: rebuildAgreementHoursSql(day, builtAt) });
    }
    scoreParts = scores.now;
    labelParts = labels.now;
    labelsSinceMs = Math.max(0, newestLabelMs - 3_600_000);
    return rebuilt;
  };

  // Passes run one after another: a pass asked for while one is under way starts after it, so it
  // sees everything written before it was asked for.
  const run = (): Promise<number[]> => {
    const next = queue.then(pass, pass);
    queue = next.catch(() => undefined);
    return next;
  };

  const tick = async () => {
    try {
      const days = await run();
      if (days.length > 0) logger.debug({ days }, 'models rollup rebuilt days');
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'models rollup pass failed; the next pass retries');
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs).unref();
  };

  return {
    start() {
      if (!stopped && timer === null) timer = setTimeout(() => void tick(), 0).unref();
    },
    run,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
