import type { ClickHouseClient } from '@pipeline/shared';
import { clickhouseRows } from '../reads.js';
import { agreementSql, labelledHistogramSql, scoreHistogramSql } from './queries.js';
import { type AgreementRow, type HistogramRow, type LabelledRow, type ModelsLive, modelsLive } from './shape.js';

export interface ModelTrafficStore {
  /** Every model's scores over `hours` of event time ending with the newest decision; null without decisions. */
  live(hours: number, aliasOf: (ref: string) => string | null): Promise<ModelsLive | null>;
}

/** `hours` whole hours of event time, the last one holding `newestS` (the rollup's grain). */
export function hoursEndingAt(newestS: number, hours: number): { from: number; to: number } {
  const to = (Math.floor(newestS / 3_600) + 1) * 3_600;
  return { from: to - hours * 3_600, to };
}

export function createModelTrafficStore(
  client: ClickHouseClient,
  newest: () => Promise<number | null>,
): ModelTrafficStore {
  const rows = clickhouseRows(client);
  return {
    async live(hours, aliasOf) {
      const to = await newest();
      if (to === null) return null;
      const range = hoursEndingAt(to, hours);
      const [histogram, labelled, agreement] = await Promise.all([
        rows<HistogramRow>(scoreHistogramSql(range)),
        rows<LabelledRow>(labelledHistogramSql(range)),
        rows<AgreementRow>(agreementSql(range)),
      ]);
      return modelsLive(range, histogram, labelled, agreement, aliasOf);
    },
  };
}
