import type { ClickHouseClient } from '@pipeline/shared';

/** Decisions judged against the labels that have arrived (from the sink's tables). */
export interface FraudOutcome {
  /** Decided transactions with a fraud label. */
  frauds: number;
  /** ...of which not approved (declined, sent to review or stepped up). */
  caught: number;
  /** Amount of the frauds caught: money saved, in minor units. */
  savedMinor: number;
  /** Amount of the frauds approved: money lost, in minor units. */
  lostMinor: number;
  /** Decided transactions labelled genuine, and of those the ones not approved (friction). */
  genuine: number;
  genuineFlagged: number;
}

/**
 * One query over the run's database: each decision joined with its transaction's amount and its
 * latest label. Nested pairs of joins with USING: the form ClickHouse 18.16 accepts.
 */
export const OUTCOME_SQL = `
SELECT
  countIf(is_fraud = 1) AS frauds,
  countIf(is_fraud = 1 AND action != 'APPROVE') AS caught,
  sumIf(amount_minor, is_fraud = 1 AND action != 'APPROVE') AS saved_minor,
  sumIf(amount_minor, is_fraud = 1 AND action = 'APPROVE') AS lost_minor,
  countIf(is_fraud = 0) AS genuine,
  countIf(is_fraud = 0 AND action != 'APPROVE') AS genuine_flagged
FROM (
  SELECT event_id, action, amount_minor
  FROM (SELECT event_id, action FROM decisions FINAL)
  ANY INNER JOIN (SELECT event_id, amount_minor FROM transactions_enriched FINAL) USING event_id
)
ANY INNER JOIN (SELECT transaction_id AS event_id, is_fraud FROM labels_latest) USING event_id`;

export async function queryOutcome(clickhouse: ClickHouseClient): Promise<FraudOutcome> {
  const result = await clickhouse.query({ query: OUTCOME_SQL, format: 'JSONEachRow' });
  const [row] = await result.json<Record<string, string | number>>();
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    frauds: n('frauds'),
    caught: n('caught'),
    savedMinor: n('saved_minor'),
    lostMinor: n('lost_minor'),
    genuine: n('genuine'),
    genuineFlagged: n('genuine_flagged'),
  };
}

/** Rows the sink has written for the run, per table (deduplicated). */
export async function countRows(clickhouse: ClickHouseClient): Promise<Record<string, number>> {
  const result = await clickhouse.query({
    query: `SELECT 'decisions' AS t, count() AS n FROM (SELECT event_id FROM decisions FINAL)
      UNION ALL SELECT 'transactions_enriched', count() FROM (SELECT event_id FROM transactions_enriched FINAL)
      UNION ALL SELECT 'scores', count() FROM (SELECT event_id FROM scores FINAL)
      UNION ALL SELECT 'labels', count() FROM (SELECT transaction_id FROM labels_latest)`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ t: string; n: string | number }>();
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/** Rows the sink has written for the run's recommendation topics, per table (deduplicated). */
export async function countRecsysRows(clickhouse: ClickHouseClient): Promise<Record<string, number>> {
  const result = await clickhouse.query({
    query: `SELECT 'recsys_interactions' AS t, count() AS n FROM (SELECT event_id FROM recsys_interactions FINAL)
      UNION ALL SELECT 'recsys_requests', count() FROM (SELECT request_id FROM recsys_requests FINAL)
      UNION ALL SELECT 'recsys_scores', count() FROM (SELECT request_id FROM recsys_scores FINAL)
      UNION ALL SELECT 'recsys_recommendations', count() FROM (SELECT request_id FROM recsys_recommendations FINAL)
      UNION ALL SELECT 'recsys_labels', count() FROM (SELECT interaction_id FROM recsys_labels FINAL)`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ t: string; n: string | number }>();
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/** What the monitor did over the run: its runs, and each alert with its reasons. */
export async function monitorReport(clickhouse: ClickHouseClient): Promise<string[]> {
  const runs = await clickhouse.query({
    query: `SELECT count() AS runs, sum(figures) AS figures, sum(breaches) AS breaches, sum(alerts) AS alerts,
      sum(triggers) AS triggers, min(window_start) AS first, max(window_end) AS last FROM monitor_runs FINAL`,
    format: 'JSONEachRow',
  });
  const [r] = await runs.json<Record<string, string | number>>();
  if (!r || Number(r.runs) === 0)
    return ['no window closed yet (the monitor judges a day once event time has passed it)'];
  const alerts = await clickhouse.query({
    query: `SELECT kind, model_name, model_version, variant, toString(window_end) AS window_end, reasons
      FROM monitor_alerts FINAL WHERE status = 'OPEN' ORDER BY window_end LIMIT 10`,
    format: 'JSONEachRow',
  });
  const rows = await alerts.json<{
    kind: string;
    model_name: string;
    model_version: string;
    variant: string;
    window_end: string;
    reasons: string[];
  }>();
  return [
    `${r.runs} daily runs over ${r.first} .. ${r.last}: ${r.figures} figures judged (drift per feature and score, quality, decision mix), ${r.breaches} breaches, ${r.alerts} alerts, ${r.triggers} retraining triggers`,
    ...rows.map(
      (a) =>
        `${a.kind} alert for ${a.model_name}@${a.model_version} (${a.variant}), window ending ${a.window_end}: ${a.reasons.slice(0, 3).join('; ')}`,
    ),
  ];
}

/**
 * An event whose provenance is worth a picture: the newest decision sent to review, preferably one
 * the model scored in time (rules and model both had a say), else the newest decision; null when
 * none is stored.
 */
export async function provenanceEvent(clickhouse: ClickHouseClient): Promise<string | null> {
  const result = await clickhouse.query({
    query: `SELECT event_id FROM decisions ORDER BY action = 'REVIEW' DESC, path = 'MODEL_AND_RULES' DESC, event_time DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ event_id: string }>();
  return row?.event_id ?? null;
}
