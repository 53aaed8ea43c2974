import type { ClickHouseClient } from '@pipeline/shared';
import { estimatePerformance, realizedPerformance } from './analysis/cbpe.js';
import { type LookKey, performanceRows } from './result-rows.js';
import * as store from './store.js';

/**
 * Label-free estimates of the recent (unlabelled) window, and the same estimate checked against the
 * labels on the matured window, per variant with scored decisions.
 */
export async function labelFreeEstimates(
  client: ClickHouseClient,
  key: LookKey,
  variants: readonly string[],
  recent: store.Window,
  matured: store.Window,
  maxRows: number,
): Promise<store.ResultRow[]> {
  const out: store.ResultRow[] = [];
  const recentRows = await store.scoredRows(client, variants, recent, key.asOf, maxRows);
  const maturedRows = await store.scoredRows(client, variants, matured, key.asOf, maxRows);
  for (const v of variants) {
    const r = recentRows.filter((x) => x.variant === v);
    if (r.length > 0) out.push(...performanceRows(key, v, recent, 'cbpe_', estimatePerformance(r)));
    const m = maturedRows.filter((x) => x.variant === v);
    if (m.length > 0) {
      const expected = estimatePerformance(m);
      const realized = realizedPerformance(
        m,
        m.map((x) => x.isFraud),
      );
      out.push(...performanceRows(key, v, matured, 'cbpe_check_', expected, realized));
    }
  }
  return out;
}
