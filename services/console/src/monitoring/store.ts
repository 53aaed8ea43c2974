import type { ClickHouseClient } from '@pipeline/shared';
import { clickhouseRows } from '../reads.js';
import {
  alertsSql,
  driftSeriesSql,
  latestFiguresSql,
  newestRunSql,
  openEpisodesSql,
  performanceSql,
  qualitySeriesSql,
  retrainingsSql,
  runsSql,
  seriesSql,
  type WindowRange,
} from './queries.js';
import {
  type AlertRow,
  alertViews,
  chooseSeries,
  type EpisodeRow,
  episodeViews,
  type LatestRow,
  type Monitoring,
  type PointRow,
  performanceLines,
  qualityLines,
  type RetrainingRow,
  type RunRow,
  retrainingViews,
  runSummary,
  type SeriesRow,
  seriesChoices,
  subjectFigures,
  timelines,
} from './shape.js';

export interface MonitoringQuery {
  days: number;
  /** `name@version variant`; null: the series with the newest figures. */
  series: string | null;
  /** The feature whose drift is charted; null: the one with the largest newest PSI. */
  feature: string | null;
}

export interface MonitoringStore {
  /** null when the monitor has not run (no rows in monitor_runs). */
  read(query: MonitoringQuery): Promise<Monitoring | null>;
}

export function createMonitoringStore(client: ClickHouseClient): MonitoringStore {
  const rows = clickhouseRows(client);
  return {
    async read({ days, series, feature }) {
      const [newest] = await rows<{ t: number | string; n: number | string }>(newestRunSql());
      if (!newest || Number(newest.n) === 0) return null;
      const to = Number(newest.t) + 1;
      const range: WindowRange = { from: to - days * 86_400, to };
      const [runs, choicesRows, performance, quality, alerts, episodes, retrainings] = await Promise.all([
        rows<RunRow>(runsSql(range)),
        rows<SeriesRow>(seriesSql(range)),
        rows<PointRow>(performanceSql(range)),
        rows<PointRow>(qualitySeriesSql(range)),
        rows<AlertRow>(alertsSql(range)),
        rows<EpisodeRow>(openEpisodesSql()),
        rows<RetrainingRow>(retrainingsSql(range)),
      ]);
      const choices = seriesChoices(choicesRows);
      const selected = chooseSeries(choices, series);
      const subjects = selected ? subjectFigures(await rows<LatestRow>(latestFiguresSql(range, selected))) : [];
      const features = subjects.filter((s) => s.subject !== 'score' && s.psi !== null);
      const chosen = features.find((s) => s.subject === feature)?.subject ?? features[0]?.subject ?? null;
      const drift = selected
        ? timelines(
            await rows<PointRow>(driftSeriesSql(range, selected, chosen ? ['score', chosen] : ['score'])),
            (r) => `${r.subject} ${r.metric}`,
          )
        : [];
      const retrainingList = retrainingViews(retrainings);
      return {
        range,
        runs: runSummary(runs),
        series: choices,
        selected,
        subjects,
        drift: { feature: chosen, lines: drift },
        performance: performanceLines(performance),
        quality: qualityLines(quality),
        alerts: alertViews(alerts, retrainingList),
        episodes: episodeViews(episodes),
        retrainings: retrainingList,
      };
    },
  };
}
