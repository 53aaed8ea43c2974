import type { Series, WindowRange } from './queries.js';

// ClickHouse's JSON of the monitoring queries: 64-bit integers arrive as strings, NaN as null.
type Num = number | string | null;

export interface RunRow {
  t: Num;
  rows: Num;
  figures: Num;
  breaches: Num;
  alerts: Num;
  triggers: Num;
  duration_ms: Num;
}
export interface SeriesRow {
  model_name: string;
  model_version: string;
  variant: string;
  t: Num;
  n: Num;
}
export interface LatestRow {
  kind: string;
  subject: string;
  metric: string;
  latest: Num;
  latest_breached: Num;
  latest_threshold: Num;
  latest_n: Num;
  max_value: Num;
  t: Num;
}
export interface PointRow {
  t: Num;
  subject?: string;
  model_name?: string;
  model_version?: string;
  variant?: string;
  metric: string;
  value: Num;
  breached: Num;
}
export interface AlertRow {
  alert_id: string;
  episode_id: string;
  status: string;
  kind: string;
  model_name: string;
  model_version: string;
  variant: string;
  window_start: Num;
  window_end: Num;
  reasons: string[];
  evidence_subjects: string[];
  evidence_metrics: string[];
  evidence_values: Num[];
  trigger_id: string;
  emitted_at_ms: Num;
}
export interface EpisodeRow {
  kind: string;
  model_name: string;
  model_version: string;
  variant: string;
  episode_id: string;
  opened_at: Num;
  clean_runs: Num;
  last_window_end: Num;
}
export interface RetrainingRow {
  trigger_id: string;
  model_name: string;
  champion_version: string;
  reasons: string[];
  cutoff: Num;
  train_rows: Num;
  train_frauds: Num;
  eval_rows: Num;
  eval_frauds: Num;
  metric: string;
  margin: Num;
  candidate_roc_auc: Num;
  candidate_average_precision: Num;
  champion_roc_auc: Num;
  champion_average_precision: Num;
  decision: string;
  candidate_version: string;
  error: string;
  duration_ms: Num;
  finished_at_ms: Num;
}

/** A number, or null for NaN, infinities and missing values. */
export function value(v: Num | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
const int = (v: Num | undefined) => value(v) ?? 0;

/** `fraud_gbdt@2 control`: how the page names a series. */
export const seriesName = (s: Series): string => `${s.model}@${s.version} ${s.variant}`;

export interface SeriesChoice extends Series {
  name: string;
  /** Its newest window end (epoch s). */
  newest: number;
}

export function seriesChoices(rows: readonly SeriesRow[]): SeriesChoice[] {
  return rows.map((r) => {
    const s = { model: r.model_name, version: r.model_version, variant: r.variant };
    return { ...s, name: seriesName(s), newest: int(r.t) };
  });
}

/** The series asked for (`name@version variant`) when it has figures, else the newest. */
export function chooseSeries(choices: readonly SeriesChoice[], asked: string | null): SeriesChoice | null {
  return choices.find((c) => c.name === asked) ?? choices[0] ?? null;
}

/** One feature's (or the score's) newest drift and quality figures in the range. */
export interface SubjectFigures {
  subject: string;
  psi: number | null;
  ks: number | null;
  /** The largest PSI and KS of the range. */
  psiMax: number | null;
  ksMax: number | null;
  psiThreshold: number | null;
  ksThreshold: number | null;
  /** The newest drift figures breached (either). */
  driftBreached: boolean;
  nullShare: number | null;
  outOfRangeShare: number | null;
  qualityBreached: boolean;
  /** Rows of the newest window. */
  n: number;
}

/** Per subject, the score first, then features by their newest PSI, largest first. */
export function subjectFigures(rows: readonly LatestRow[]): SubjectFigures[] {
  const bySubject = new Map<string, SubjectFigures>();
  for (const r of rows) {
    if (r.subject === '') continue; // volume ratio and the dead-letter share: series of their own
    let s = bySubject.get(r.subject);
    if (!s) {
      s = {
        subject: r.subject,
        psi: null,
        ks: null,
        psiMax: null,
        ksMax: null,
        psiThreshold: null,
        ksThreshold: null,
        driftBreached: false,
        nullShare: null,
        outOfRangeShare: null,
        qualityBreached: false,
        n: 0,
      };
      bySubject.set(r.subject, s);
    }
    const breached = int(r.latest_breached) === 1;
    if (r.kind === 'DRIFT' && (r.metric === 'psi' || r.metric === 'ks')) {
      s[r.metric] = value(r.latest);
      s[r.metric === 'psi' ? 'psiMax' : 'ksMax'] = value(r.max_value);
      s[r.metric === 'psi' ? 'psiThreshold' : 'ksThreshold'] = value(r.latest_threshold);
      s.driftBreached ||= breached;
      s.n = Math.max(s.n, int(r.latest_n));
    } else if (r.kind === 'QUALITY' && (r.metric === 'null_share' || r.metric === 'out_of_range_share')) {
      s[r.metric === 'null_share' ? 'nullShare' : 'outOfRangeShare'] = value(r.latest);
      s.qualityBreached ||= breached;
    }
  }
  return [...bySubject.values()].sort(
    (a, b) =>
      Number(b.subject === 'score') - Number(a.subject === 'score') ||
      (b.psi ?? -1) - (a.psi ?? -1) ||
      a.subject.localeCompare(b.subject),
  );
}

/** Values over time; `values[i]` is at `times[i]` (null: not computed or undefined). */
export interface Timeline {
  name: string;
  times: number[];
  values: (number | null)[];
  breached: boolean[];
}

/** Rows of (t, key, value) as one timeline per key, in time order. */
export function timelines(rows: readonly PointRow[], key: (r: PointRow) => string): Timeline[] {
  const out = new Map<string, Timeline>();
  for (const r of rows) {
    const name = key(r);
    let line = out.get(name);
    if (!line) {
      line = { name, times: [], values: [], breached: [] };
      out.set(name, line);
    }
    line.times.push(int(r.t));
    line.values.push(value(r.value));
    line.breached.push(int(r.breached) === 1);
  }
  for (const line of out.values()) {
    const order = line.times.map((_, i) => i).sort((a, b) => (line.times[a] as number) - (line.times[b] as number));
    line.times = order.map((i) => line.times[i] as number);
    line.values = order.map((i) => line.values[i] as number | null);
    line.breached = order.map((i) => line.breached[i] as boolean);
  }
  return [...out.values()];
}

export interface AlertView {
  alertId: string;
  episodeId: string;
  status: string;
  kind: string;
  /** `fraud_gbdt@2 control`, or `pipeline` for the pipeline-wide dead-letter share. */
  series: string;
  windowStart: number;
  windowEnd: number;
  reasons: string[];
  evidence: { subject: string; metric: string; value: number | null }[];
  /** The retraining trigger it raised ('' for none: QUALITY and MIX raise none). */
  triggerId: string;
  emittedAtMs: number;
  /** What became of its trigger, when a retraining ran for it. */
  retraining: { decision: string; candidateVersion: string } | null;
}

export interface RetrainingView {
  triggerId: string;
  model: string;
  championVersion: string;
  reasons: string[];
  cutoff: number;
  trainRows: number;
  trainFrauds: number;
  evalRows: number;
  evalFrauds: number;
  metric: string;
  margin: number | null;
  candidate: { rocAuc: number | null; averagePrecision: number | null };
  champion: { rocAuc: number | null; averagePrecision: number | null };
  decision: string;
  candidateVersion: string;
  error: string;
  durationMs: number | null;
  finishedAtMs: number;
}

export function retrainingViews(rows: readonly RetrainingRow[]): RetrainingView[] {
  return rows.map((r) => ({
    triggerId: r.trigger_id,
    model: r.model_name,
    championVersion: r.champion_version,
    reasons: r.reasons,
    cutoff: int(r.cutoff),
    trainRows: int(r.train_rows),
    trainFrauds: int(r.train_frauds),
    evalRows: int(r.eval_rows),
    evalFrauds: int(r.eval_frauds),
    metric: r.metric,
    margin: value(r.margin),
    candidate: { rocAuc: value(r.candidate_roc_auc), averagePrecision: value(r.candidate_average_precision) },
    champion: { rocAuc: value(r.champion_roc_auc), averagePrecision: value(r.champion_average_precision) },
    decision: r.decision,
    candidateVersion: r.candidate_version,
    error: r.error,
    durationMs: value(r.duration_ms),
    finishedAtMs: int(r.finished_at_ms),
  }));
}

export function alertViews(rows: readonly AlertRow[], retrainings: readonly RetrainingView[]): AlertView[] {
  const byTrigger = new Map(retrainings.map((r) => [r.triggerId, r] as const));
  return rows.map((r) => {
    const retraining = r.trigger_id ? byTrigger.get(r.trigger_id) : undefined;
    return {
      alertId: r.alert_id,
      episodeId: r.episode_id,
      status: r.status,
      kind: r.kind,
      series:
        r.model_name === ''
          ? 'pipeline'
          : seriesName({ model: r.model_name, version: r.model_version, variant: r.variant }),
      windowStart: int(r.window_start),
      windowEnd: int(r.window_end),
      reasons: r.reasons,
      evidence: r.evidence_subjects.map((subject, i) => ({
        subject,
        metric: r.evidence_metrics[i] ?? '',
        value: value(r.evidence_values[i]),
      })),
      triggerId: r.trigger_id,
      emittedAtMs: int(r.emitted_at_ms),
      retraining: retraining ? { decision: retraining.decision, candidateVersion: retraining.candidateVersion } : null,
    };
  });
}

export interface EpisodeView {
  kind: string;
  series: string;
  episodeId: string;
  openedAt: number;
  cleanRuns: number;
  lastWindowEnd: number;
}

export function episodeViews(rows: readonly EpisodeRow[]): EpisodeView[] {
  return rows.map((r) => ({
    kind: r.kind,
    series:
      r.model_name === ''
        ? 'pipeline'
        : seriesName({ model: r.model_name, version: r.model_version, variant: r.variant }),
    episodeId: r.episode_id,
    openedAt: int(r.opened_at),
    cleanRuns: int(r.clean_runs),
    lastWindowEnd: int(r.last_window_end),
  }));
}

export interface RunSummary {
  count: number;
  newest: number;
  breaches: number;
  alerts: number;
  triggers: number;
  /** The newest runs, newest first (at most 10). */
  last: { t: number; rows: number; figures: number; breaches: number; durationMs: number | null }[];
}

export function runSummary(rows: readonly RunRow[]): RunSummary {
  const sum = (k: keyof RunRow) => rows.reduce((a, r) => a + int(r[k]), 0);
  return {
    count: rows.length,
    newest: rows.reduce((m, r) => Math.max(m, int(r.t)), 0),
    breaches: sum('breaches'),
    alerts: sum('alerts'),
    triggers: sum('triggers'),
    last: rows.slice(0, 10).map((r) => ({
      t: int(r.t),
      rows: int(r.rows),
      figures: int(r.figures),
      breaches: int(r.breaches),
      durationMs: value(r.duration_ms),
    })),
  };
}

export interface Monitoring {
  range: WindowRange;
  runs: RunSummary;
  series: SeriesChoice[];
  selected: SeriesChoice | null;
  subjects: SubjectFigures[];
  /** PSI and KS of the score, and of the chosen feature, over time (timeline names: `<subject> psi`). */
  drift: { feature: string | null; lines: Timeline[] };
  /** ROC AUC, average precision, card precision@k: one timeline per `<series> <metric>`. */
  performance: { metrics: string[]; lines: (Timeline & { series: string; metric: string })[] };
  /** Volume ratio per series, the dead-letter share pipeline-wide. */
  quality: Timeline[];
  alerts: AlertView[];
  episodes: EpisodeView[];
  retrainings: RetrainingView[];
}

/** Performance rows as one timeline per series and metric, metrics in a fixed order. */
export function performanceLines(rows: readonly PointRow[]): Monitoring['performance'] {
  const seriesOf = (r: PointRow) =>
    seriesName({ model: r.model_name ?? '', version: r.model_version ?? '', variant: r.variant ?? '' });
  const lines = timelines(rows, (r) => `${seriesOf(r)}\u0000${r.metric}`).map((l) => {
    const [series, metric] = l.name.split('\u0000') as [string, string];
    return { ...l, name: series, series, metric };
  });
  const rank = (m: string) => (m === 'roc_auc' ? 0 : m === 'average_precision' ? 1 : 2);
  const metrics = [...new Set(lines.map((l) => l.metric))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return { metrics, lines };
}

/** Quality rows: the dead-letter share once (pipeline-wide), the volume ratio per series. */
export function qualityLines(rows: readonly PointRow[]): Timeline[] {
  return timelines(rows, (r) =>
    r.metric === 'dead_letter_share'
      ? 'dead-letter share'
      : `volume ratio ${seriesName({ model: r.model_name ?? '', version: r.model_version ?? '', variant: r.variant ?? '' })}`,
  );
}
