import { fraudFeatureSet } from '@pipeline/feature-sets';
import { openRegistry } from '@pipeline/scorer';
import { type ClickHouseClient, createPolling, type Logger } from '@pipeline/shared';
import { recsysQuality } from '@pipeline/sink/queries/recsys-quality';
import type { Alert, RetrainingTrigger } from '@pipeline/topology';
import { buildProfile, driftFigures, type Profile } from './checks/drift.js';
import { mixFigures } from './checks/mix.js';
import { performanceFigures } from './checks/performance.js';
import { deadLetterFigures, featureQualityFigures, volumeFigure } from './checks/quality.js';
import { rankingCheck } from './checks/ranking.js';
import { rankingDriftCheck } from './checks/ranking-drift.js';
import type { Kind, MonitorConfig } from './config.js';
import {
  buildAlert,
  buildTrigger,
  type EpisodeState,
  keyOf,
  stepEpisode,
  TRIGGERING,
  type Window,
} from './episodes.js';
import { type Figure, verdict } from './figures.js';
import type { MonitorMetrics } from './metrics.js';
import type { AlertPublisher } from './publisher.js';
import { readModelInfo } from './registry.js';
import { dueWindowEnds, wallClockDue } from './schedule.js';
import * as store from './store.js';

export type MonitorSettings = Pick<
  MonitorConfig,
  | 'SERVICE_NAME'
  | 'MODEL_REGISTRY'
  | 'MODEL_REGISTRY_DIR'
  | 'MLFLOW_TRACKING_URI'
  | 'MLFLOW_REGISTRY_SCOPE'
  | 'MONITOR_CLOCK'
  | 'MONITOR_INTERVAL'
  | 'MONITOR_WINDOW'
  | 'MONITOR_POLL'
  | 'MONITOR_LATENESS'
  | 'MONITOR_START'
  | 'MONITOR_REFERENCE_FROM'
  | 'MONITOR_REFERENCE_TO'
  | 'MONITOR_LABEL_LAG'
  | 'MONITOR_PERFORMANCE_WINDOW'
  | 'MONITOR_BASELINE_DAYS'
  | 'MONITOR_CLEAR_RUNS'
  | 'MONITOR_REFERENCE_SAMPLE'
  | 'MONITOR_MAX_ROWS'
  | 'checks'
  | 'features'
  | 'thresholds'
>;

export interface MonitorDeps {
  clickhouse: ClickHouseClient;
  publisher: AlertPublisher;
  logger: Logger;
  settings: MonitorSettings;
  metrics?: MonitorMetrics;
  now?: () => number;
}

export interface RunResult {
  windowEnd: number;
  figures: store.FigureRow[];
  alerts: Alert[];
  triggers: RetrainingTrigger[];
  rows: number;
  durationMs: number;
}

export interface Monitor {
  /** Runs one window (ending at `windowEnd`): compute, judge, emit, record. */
  runWindow(windowEnd: number): Promise<RunResult>;
  /** Runs every window that is due now, oldest first. */
  runDue(): Promise<RunResult[]>;
  start(): void;
  stop(): Promise<void>;
  /** False while the last attempt to run failed (ClickHouse or Kafka down). */
  readonly healthy: boolean;
}

const DAY = 86_400_000;

/** Whose figures are pipeline-wide (the dead-letter share): no model, version or variant. */
const PIPELINE: store.ModelRef = { model_name: '', model_version: '' };

export function createMonitor(deps: MonitorDeps): Monitor {
  const { clickhouse, publisher, logger, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const names = fraudFeatureSet.names;
  const featureIndex = s.features.map((f) => names.indexOf(f));
  const enabled = (k: Kind) => s.checks.includes(k);
  const vectorCache = new Map<string, Promise<number[][]>>();
  const profileCache = new Map<string, Promise<{ features: Profile[]; score: Profile } | undefined>>();

  const registry = openRegistry(s);

  async function referenceWindow(m: store.ModelRef): Promise<{ from: number; to: number } | undefined> {
    if (s.MONITOR_REFERENCE_FROM !== undefined && s.MONITOR_REFERENCE_TO !== undefined) {
      return { from: s.MONITOR_REFERENCE_FROM, to: s.MONITOR_REFERENCE_TO };
    }
    const info = await readModelInfo(registry, m.model_name, m.model_version);
    if (info?.trainFrom === undefined || info.trainTo === undefined) return undefined;
    // train_to is the last training row's time: the window ends just after it.
    return { from: info.trainFrom, to: info.trainTo + 1000 };
  }

  /** Reference profiles per model version: built once, then served from memory. */
  function profiles(m: store.ModelRef, ref: { from: number; to: number }) {
    const key = `${ref.from}-${ref.to}-${m.model_name}@${m.model_version}`;
    let cached = profileCache.get(key);
    if (!cached) {
      const vectorKey = `${ref.from}-${ref.to}`;
      let vectors = vectorCache.get(vectorKey);
      if (!vectors) {
        vectors = store.referenceVectors(clickhouse, ref.from, ref.to, s.MONITOR_REFERENCE_SAMPLE, fraudFeatureSet);
        vectorCache.set(vectorKey, vectors);
      }
      cached = (async () => {
        const rows = await vectors;
        const scores = await store.referenceScores(clickhouse, m, ref.from, ref.to, s.MONITOR_REFERENCE_SAMPLE);
        return {
          features: s.features.map((f, i) =>
            buildProfile(
              f,
              rows.map((r) => r[featureIndex[i] as number] ?? Number.NaN),
            ),
          ),
          score: buildProfile('score', scores),
        };
      })();
      cached.catch(() => profileCache.delete(key));
      profileCache.set(key, cached);
    }
    return cached;
  }

  async function modelFigures(m: store.ModelRef, start: number, end: number) {
    const byVariant = new Map<string, { figures: Figure[]; windows: Map<Kind, Window> }>();
    const add = (variant: string, kind: Kind, window: Window, figures: Figure[]) => {
      let entry = byVariant.get(variant);
      if (!entry) {
        entry = { figures: [], windows: new Map() };
        byVariant.set(variant, entry);
      }
      entry.figures.push(...figures);
      entry.windows.set(kind, window);
    };
    const t = s.thresholds;
    let rows = 0;
    const baselineWindow = {
      start,
      end,
      referenceStart: start - s.MONITOR_BASELINE_DAYS * DAY,
      referenceEnd: end - DAY,
    };

    if (enabled('DRIFT') || enabled('QUALITY')) {
      const current = await store.scoredRows(clickhouse, m, start, end, s.MONITOR_MAX_ROWS);
      rows += current.length;
      const ref = await referenceWindow(m);
      const profile = ref ? await profiles(m, ref) : undefined;
      if (!ref) logger.warn({ model: `${m.model_name}@${m.model_version}` }, 'no reference window: drift not checked');
      const variants = new Map<string, store.ScoredRow[]>();
      for (const r of current) {
        const list = variants.get(r.variant);
        if (list) list.push(r);
        else variants.set(r.variant, [r]);
      }
      for (const [variant, list] of variants) {
        if (!profile || !ref) continue;
        const window = { start, end, referenceStart: ref.from, referenceEnd: ref.to };
        const drift: Figure[] = [];
        const quality: Figure[] = [];
        profile.features.forEach((p, i) => {
          const values = list.map((r) => r.features[featureIndex[i] as number] ?? Number.NaN);
          if (enabled('DRIFT')) drift.push(...driftFigures(p, values, t));
          if (enabled('QUALITY')) quality.push(...featureQualityFigures(p, values, t));
        });
        if (enabled('DRIFT') && profile.score.n > 0) {
          drift.push(
            ...driftFigures(
              profile.score,
              list.map((r) => r.score),
              t,
            ),
          );
        }
        if (enabled('DRIFT')) add(variant, 'DRIFT', window, drift);
        if (enabled('QUALITY')) add(variant, 'QUALITY', window, quality);
      }
    }
    if (enabled('QUALITY')) {
      const volumes = await store.volumeByDay(clickhouse, m, start, end, s.MONITOR_BASELINE_DAYS);
      for (const [variant, [current = 0, ...previous]] of volumes) {
        add(variant, 'QUALITY', baselineWindow, [volumeFigure(current, previous, t)]);
      }
    }
    if (enabled('PERFORMANCE')) {
      const to = end - s.MONITOR_LABEL_LAG;
      const from = to - s.MONITOR_PERFORMANCE_WINDOW;
      const window = { start: from, end: to, referenceStart: null, referenceEnd: null };
      const pairs = await store.labelledScores(clickhouse, m, from, to, end);
      const counts = await store.performanceCounts(
        clickhouse,
        m,
        from,
        to,
        end,
        t.performance.threshold,
        t.performance.top_k,
      );
      for (const [variant, c] of counts) {
        const p = pairs.get(variant) ?? { scores: [], labels: [] };
        add(variant, 'PERFORMANCE', window, performanceFigures(p.scores, p.labels, c, t));
      }
    }
    if (enabled('MIX')) {
      const mix = await store.decisionMix(clickhouse, m, start, end, s.MONITOR_BASELINE_DAYS);
      for (const [variant, { current, usual }] of mix)
        add(variant, 'MIX', baselineWindow, mixFigures(current, usual, t));
    }
    return { byVariant, rows };
  }

  async function runWindow(windowEnd: number): Promise<RunResult> {
    const started = performance.now();
    const start = windowEnd - s.MONITOR_WINDOW;
    const perfTo = windowEnd - s.MONITOR_LABEL_LAG;
    const models = new Map<string, store.ModelRef>();
    for (const m of await store.modelsScored(clickhouse, start, windowEnd))
      models.set(`${m.model_name}@${m.model_version}`, m);
    if (enabled('PERFORMANCE')) {
      for (const m of await store.modelsScored(clickhouse, perfTo - s.MONITOR_PERFORMANCE_WINDOW, perfTo)) {
        models.set(`${m.model_name}@${m.model_version}`, m);
      }
    }
    const episodes = new Map((await store.readEpisodes(clickhouse)).map((e) => [keyOf(e), e]));
    const figureRows: store.FigureRow[] = [];
    const alerts: Alert[] = [];
    const triggers: RetrainingTrigger[] = [];
    const changed: EpisodeState[] = [];
    let rows = 0;
    const emittedAt = now();

    /** Records one check's figures for a model (or the pipeline) and variant, and steps its episode. */
    const judge = (
      m: store.ModelRef,
      variant: string,
      kind: Kind,
      own: Figure[],
      window: Window,
      retrains = TRIGGERING.includes(kind),
    ) => {
      for (const f of own) {
        figureRows.push({
          ...f,
          ...m,
          variant,
          windowStart: window.start,
          windowEnd: window.end,
          referenceStart: window.referenceStart ?? 0,
          referenceEnd: window.referenceEnd ?? 0,
        });
      }
      const key = { kind, ...m, variant };
      const previous = episodes.get(keyOf(key));
      const { next, event } = stepEpisode(previous, key, verdict(own), windowEnd, s.MONITOR_CLEAR_RUNS);
      if (next && next !== previous) changed.push(next);
      if (!event || !next) return;
      const alert = buildAlert(next, event, own, window, s.MONITOR_CLEAR_RUNS, emittedAt);
      alerts.push(alert);
      if (event === 'OPEN' && retrains) triggers.push(buildTrigger(alert, s.SERVICE_NAME, emittedAt));
    };

    for (const m of models.values()) {
      const result = await modelFigures(m, start, windowEnd);
      rows += result.rows;
      for (const [variant, { figures, windows }] of result.byVariant) {
        for (const kind of s.checks) {
          const window = windows.get(kind);
          if (window)
            judge(
              m,
              variant,
              kind,
              figures.filter((f) => f.kind === kind),
              window,
            );
        }
      }
    }
    if (enabled(rankingDriftCheck.kind)) {
      const set = rankingDriftCheck.featureSet;
      const drifted = await rankingDriftCheck.run(
        {
          current: (from, to) => store.candidateVectors(clickhouse, from, to, s.MONITOR_MAX_ROWS, set),
          reference: (from, to) =>
            store.referenceCandidateVectors(clickhouse, from, to, s.MONITOR_REFERENCE_SAMPLE, set),
          referenceWindow,
        },
        start,
        windowEnd,
        s.thresholds,
      );
      for (const r of drifted) {
        judge(r.model, r.variant, rankingDriftCheck.kind, r.figures, r.window, rankingDriftCheck.retrains);
        models.set(`${r.model.model_name}@${r.model.model_version}`, r.model);
      }
    }
    if (enabled(rankingCheck.kind)) {
      const ranked = await rankingCheck.run(
        (period) => recsysQuality(clickhouse, period),
        start,
        windowEnd,
        s.MONITOR_BASELINE_DAYS,
        s.thresholds,
      );
      for (const r of ranked) {
        judge(r.model, r.variant, rankingCheck.kind, r.figures, r.window, rankingCheck.retrains);
        models.set(`${r.model.model_name}@${r.model.model_version}`, r.model);
      }
    }
    if (enabled('QUALITY')) {
      // Pipeline-wide, not per model: one episode (model, version and variant empty) however many models score.
      const figures = deadLetterFigures(
        await store.deadLetterCounts(clickhouse, start, windowEnd, s.MONITOR_CLOCK),
        await store.transactionCount(clickhouse, start, windowEnd),
        s.thresholds,
      );
      judge(PIPELINE, '', 'QUALITY', figures, { start, end: windowEnd, referenceStart: null, referenceEnd: null });
    }

    // Figures first, then the messages, then the state that says they were sent: a crash in between
    // sends them again with the same ids on the re-run (the retraining job runs a trigger id once).
    await store.insertFigures(clickhouse, figureRows, emittedAt);
    await publisher.publish(alerts, triggers);
    await store.insertAlerts(
      clickhouse,
      alerts.map((alert) => ({
        alert,
        triggerId: triggers.find((t) => t.episode_id === alert.episode_id && alert.status === 'OPEN')?.trigger_id ?? '',
      })),
    );
    await store.writeEpisodes(clickhouse, changed);
    const durationMs = performance.now() - started;
    await store.insertRun(
      clickhouse,
      {
        windowStart: start,
        windowEnd,
        clock: s.MONITOR_CLOCK,
        models: models.size,
        rows,
        figures: figureRows.length,
        breaches: figureRows.filter((f) => f.breached).length,
        alerts: alerts.length,
        triggers: triggers.length,
        durationMs,
      },
      now(),
    );
    deps.metrics?.recordRun(figureRows, windowEnd, durationMs);
    deps.metrics?.recordAlerts(alerts, triggers.length);
    for (const a of alerts) {
      logger.warn(
        {
          check: a.check,
          status: a.status,
          model: `${a.model_name}@${a.model_version}`,
          variant: a.variant,
          reasons: a.reasons,
        },
        'monitor alert',
      );
    }
    logger.info(
      { windowEnd: new Date(windowEnd).toISOString(), models: models.size, rows, alerts: alerts.length, durationMs },
      'monitor run',
    );
    return { windowEnd, figures: figureRows, alerts, triggers, rows, durationMs };
  }

  async function due(): Promise<number[]> {
    const lastDone = await store.lastRunEnd(clickhouse);
    if (s.MONITOR_CLOCK === 'wall') return wallClockDue(lastDone, now(), s.MONITOR_INTERVAL);
    const range = await store.eventTimeRange(clickhouse);
    if (!range) return [];
    return dueWindowEnds({
      lastDone,
      first: s.MONITOR_START ?? range.first + s.MONITOR_WINDOW,
      horizon: range.last - s.MONITOR_LATENESS,
      intervalMs: s.MONITOR_INTERVAL,
    });
  }

  async function runDue(): Promise<RunResult[]> {
    const results: RunResult[] = [];
    for (const end of await due()) {
      if (polling.stopped) break;
      results.push(await runWindow(end));
    }
    return results;
  }

  const polling = createPolling({
    run: () => runDue(),
    intervalMs: s.MONITOR_POLL,
    logger,
    failure: 'monitor run failed; retrying at the next poll',
  });

  return {
    runWindow,
    runDue,
    start: polling.start,
    stop: polling.stop,
    get healthy() {
      return polling.healthy;
    },
  };
}
