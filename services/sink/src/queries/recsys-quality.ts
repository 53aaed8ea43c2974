import { type ClickHouseClient, sql } from '@pipeline/shared';

/**
 * Recommendation quality per model version and experiment variant over a period, from the view
 * recsys_quality_daily (migrations 0013, 0015): its daily sums added up, then divided, so a period's CTR is
 * its clicks over its items shown, not a mean of daily rates. For the monitor and the console.
 */
export interface RecsysQuality {
  /** null: lists the rules ranked alone (RULES_ONLY). */
  model_name: string | null;
  model_version: string | null;
  experiment_variant: string;
  recommendations: number;
  items_shown: number;
  clicks: number;
  /** Requests with at least one click, on a shown item or not: NDCG and recall are means over these. */
  recommendations_clicked: number;
  /** clicks / items_shown; null when nothing was shown. */
  ctr: number | null;
  /** Mean NDCG@10 over the clicked lists; null when none was clicked. */
  ndcg_at_10: number | null;
  recall_at_10: number | null;
}

/** The daily sums of one model and variant, as the view gives them. */
export interface QualitySums {
  model_name: string | null;
  model_version: string | null;
  experiment_variant: string;
  recommendations: number;
  items_shown: number;
  clicks: number;
  recommendations_clicked: number;
  ndcg_at_10_sum: number;
  recall_at_10_sum: number;
}

/** The figures of summed counts: the ratios the view computes per day, over any period. */
export function qualityFigures(sums: QualitySums): RecsysQuality {
  const { ndcg_at_10_sum, recall_at_10_sum, ...counts } = sums;
  const clicked = sums.recommendations_clicked;
  return {
    ...counts,
    ctr: sums.items_shown === 0 ? null : sums.clicks / sums.items_shown,
    ndcg_at_10: clicked === 0 ? null : ndcg_at_10_sum / clicked,
    recall_at_10: clicked === 0 ? null : recall_at_10_sum / clicked,
  };
}

export interface QualityPeriod {
  /** First day included, `YYYY-MM-DD` (UTC, the request's event date); unset: from the first. */
  from?: string;
  /** Last day included; unset: to the last. */
  to?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Quality per model (name, version) and variant over `period`, ordered by model and variant. */
export async function recsysQuality(client: ClickHouseClient, period: QualityPeriod = {}): Promise<RecsysQuality[]> {
  for (const [name, day] of Object.entries(period)) {
    if (day !== undefined && !DAY.test(day)) throw new RangeError(`${name} must be a day YYYY-MM-DD, got ${day}`);
  }
  const result = await client.query({
    query: sql`SELECT model_name, model_version, experiment_variant,
                toUInt64(sum(recommendations)) AS recommendations,
                toUInt64(sum(items_shown)) AS items_shown,
                toUInt64(sum(clicks)) AS clicks,
                toUInt64(sum(recommendations_clicked)) AS recommendations_clicked,
                sum(ndcg_at_10_sum) AS ndcg_at_10_sum,
                sum(recall_at_10_sum) AS recall_at_10_sum
              FROM recsys_quality_daily
              WHERE day >= toDate(${period.from ?? '1970-01-01'}) AND day <= toDate(${period.to ?? '2105-12-31'})
              GROUP BY model_name, model_version, experiment_variant
              ORDER BY model_name, model_version, experiment_variant`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<Record<keyof QualitySums, string | number | null>>();
  return rows.map((r) =>
    qualityFigures({
      model_name: r.model_name as string | null,
      model_version: r.model_version as string | null,
      experiment_variant: String(r.experiment_variant),
      recommendations: Number(r.recommendations),
      items_shown: Number(r.items_shown),
      clicks: Number(r.clicks),
      recommendations_clicked: Number(r.recommendations_clicked),
      ndcg_at_10_sum: Number(r.ndcg_at_10_sum),
      recall_at_10_sum: Number(r.recall_at_10_sum),
    }),
  );
}
