import type { ModelRegistry } from '@pipeline/scorer';
import { type ClickHouseClient, createPolling, errorMessage, type Logger } from '@pipeline/shared';
import type { ExperimentDecision, ExperimentFigure, PolicyMode } from '@pipeline/topology';
import { estimatePerformance, type Performance, realizedPerformance } from './analysis/cbpe.js';
import {
  compare,
  estimate,
  METRIC_NAMES,
  METRICS,
  type MetricComparison,
  type MetricName,
  PRIMARY,
} from './analysis/metrics.js';
import { metricPlan } from './analysis/power.js';
import { EMPTY_MOMENTS, type Moments } from './analysis/ratio.js';
import { judge } from './analysis/verdict.js';
import type { ExperimentsConfig } from './config.js';
import { type ExperimentDefinition, experimentProblem, readExperiment } from './experiment.js';
import { applyPolicy } from './policy.js';
import type { DecisionPublisher } from './publisher.js';
import { recsysLook } from './recsys-look.js';
import * as store from './store.js';

export type JobSettings = Pick<
  ExperimentsConfig,
  | 'SERVICE_NAME'
  | 'EXPERIMENTS_USE_CASE'
  | 'EXPERIMENTS_RULES_FILE'
  | 'EXPERIMENTS_CONTROL'
  | 'EXPERIMENTS_START'
  | 'EXPERIMENTS_DAYS'
  | 'EXPERIMENTS_LABEL_LAG'
  | 'EXPERIMENTS_BASELINE_DAYS'
  | 'EXPERIMENTS_ALPHA'
  | 'EXPERIMENTS_POWER'
  | 'EXPERIMENTS_MIN_UNITS'
  | 'EXPERIMENTS_MARGINS'
  | 'EXPERIMENTS_CHAMPION_LIMITS'
  | 'EXPERIMENTS_PROMOTION'
  | 'EXPERIMENTS_ROLLBACK'
  | 'EXPERIMENTS_POLL'
  | 'EXPERIMENTS_MAX_ROWS'
  | 'EXPERIMENTS_POWER_SIMS'
>;

export interface JobDeps {
  clickhouse: ClickHouseClient;
  publisher: DecisionPublisher;
  registry: ModelRegistry;
  logger: Logger;
  settings: JobSettings;
  now?: () => number;
}

export interface LookResult {
  experiment: string;
  asOf: number;
  decisions: ExperimentDecision[];
  results: store.ResultRow[];
  /** Set when the experiment cannot be analysed (none declared, one variant, no data): nothing was written. */
  problem?: string;
}

export interface ExperimentJob {
  /** Analyses the experiment as of `asOf` (event time): figures, verdicts, policy, records. */
  runLook(asOf: number): Promise<LookResult>;
  /** Runs every daily look that is due, oldest first. */
  runDue(): Promise<LookResult[]>;
  start(): void;
  stop(): Promise<void>;
  readonly healthy: boolean;
}

const DAY = 86_400_000;

/** The experiment's timeline: traffic [start, end), labels of a day taken as known `lag` after it. */
interface Timeline {
  start: number;
  end: number;
  lag: number;
}

const CBPE_METRICS = ['precision', 'recall', 'auc', 'caughtPerTransaction'] as const;
const cbpeName = (m: (typeof CBPE_METRICS)[number]) => (m === 'caughtPerTransaction' ? 'caught_per_txn' : m);

export function createExperimentJob(deps: JobDeps): ExperimentJob {
  const { clickhouse, publisher, registry, logger, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const alpha = s.EXPERIMENTS_ALPHA;
  const control = s.EXPERIMENTS_CONTROL;
  const recsys = s.EXPERIMENTS_USE_CASE === 'recsys';
  const log: store.DecisionLog = recsys ? 'recsys_recommendations' : 'decisions';

  /** The experiment and its timeline, or why it cannot be analysed. */
  async function resolve(): Promise<
    { def: ExperimentDefinition; timeline: Timeline; problem?: undefined } | { problem: string; name: string }
  > {
    let def: ExperimentDefinition | null;
    try {
      def = readExperiment(s.EXPERIMENTS_RULES_FILE);
    } catch (error) {
      // The rules hot-reload: a file broken after the start is reported, not fatal.
      return { problem: errorMessage(error), name: '(unreadable rules)' };
    }
    const problem = experimentProblem(def, control);
    if (problem || !def) return { problem: problem ?? 'no experiment', name: def?.name ?? '(none)' };
    const challengers = def.variants.filter((v) => v.name !== control).map((v) => v.name);
    const times = await store.decisionTimes(clickhouse, challengers, log);
    const start = s.EXPERIMENTS_START ?? times?.first;
    if (start === undefined) {
      return { problem: `no decisions of ${challengers.join(', ')} logged yet: nothing to analyse`, name: def.name };
    }
    // Recommendation clicks come within the session: no label lag to wait for.
    const lag = recsys ? 0 : s.EXPERIMENTS_LABEL_LAG;
    return { def, timeline: { start, end: start + s.EXPERIMENTS_DAYS * DAY, lag } };
  }

  function problemResult(name: string, asOf: number, problem: string): LookResult {
    logger.warn({ experiment: name, problem }, 'experiment not analysed');
    return { experiment: name, asOf, decisions: [], results: [], problem };
  }

  /** Per metric, the pooled moments of the baseline before the start (labelled metrics: matured, labels as of the start). */
  async function baseline(t: Timeline): Promise<Partial<Record<MetricName, Moments>>> {
    const b = s.EXPERIMENTS_BASELINE_DAYS * DAY;
    const op = await store.momentsByVariant(clickhouse, null, { from: t.start - b, to: t.start });
    const lab = await store.momentsByVariant(
      clickhouse,
      null,
      { from: t.start - t.lag - b, to: t.start - t.lag },
      t.start,
    );
    const out: Partial<Record<MetricName, Moments>> = {};
    for (const m of METRIC_NAMES) out[m] = store.pooled(METRICS[m].labelled ? lab : op, m);
    return out;
  }

  /** τ² and MDE per metric for one challenger: the sequential MDE (simulated) for the primary, the fixed one for the rest. */
  function plans(base: Partial<Record<MetricName, Moments>>, shares: { control: number; treatment: number }) {
    const out = {} as Record<MetricName, { tau2: number; mde: number }>;
    for (const m of METRIC_NAMES) {
      const r = estimate(m, base[m] ?? EMPTY_MOMENTS);
      const input = {
        unitVariance: r.unitVariance,
        baselineUnits: r.units,
        baselineDays: s.EXPERIMENTS_BASELINE_DAYS,
        shares,
        days: s.EXPERIMENTS_DAYS,
        alpha,
        power: s.EXPERIMENTS_POWER,
        sim: { sims: s.EXPERIMENTS_POWER_SIMS, seed: 1 },
      };
      out[m] = metricPlan(input, m === PRIMARY);
    }
    return out;
  }

  function performanceRows(
    name: string,
    asOf: number,
    variant: string,
    window: store.Window,
    metric: (m: string) => string,
    expected: Performance,
    realized?: Performance,
  ): store.ResultRow[] {
    return CBPE_METRICS.map((m) => ({
      experiment: name,
      asOf,
      variant,
      control,
      metric: metric(cbpeName(m)),
      kind: 'ESTIMATE' as const,
      window,
      units: 0,
      n: expected.rows,
      value: expected[m],
      controlValue: Number.NaN,
      difference: Number.NaN,
      ciLow: Number.NaN,
      ciHigh: Number.NaN,
      csLow: Number.NaN,
      csHigh: Number.NaN,
      pValue: Number.NaN,
      mde: Number.NaN,
      realized: realized ? realized[m] : Number.NaN,
      breached: false,
    }));
  }

  /** Label-free estimates of the recent (unlabelled) window, and the same estimate checked against the labels on the matured window. */
  async function estimates(
    name: string,
    asOf: number,
    variants: string[],
    recent: store.Window,
    matured: store.Window,
  ) {
    const out: store.ResultRow[] = [];
    const recentRows = await store.scoredRows(clickhouse, variants, recent, asOf, s.EXPERIMENTS_MAX_ROWS);
    const maturedRows = await store.scoredRows(clickhouse, variants, matured, asOf, s.EXPERIMENTS_MAX_ROWS);
    for (const v of variants) {
      const r = recentRows.filter((x) => x.variant === v);
      if (r.length > 0) out.push(...performanceRows(name, asOf, v, recent, (m) => `cbpe_${m}`, estimatePerformance(r)));
      const m = maturedRows.filter((x) => x.variant === v);
      if (m.length > 0) {
        out.push(
          ...performanceRows(
            name,
            asOf,
            v,
            matured,
            (x) => `cbpe_check_${x}`,
            estimatePerformance(m),
            realizedPerformance(
              m,
              m.map((x) => x.isFraud),
            ),
          ),
        );
      }
    }
    return out;
  }

  function resultRow(
    name: string,
    asOf: number,
    variant: string,
    c: MetricComparison,
    window: store.Window,
    mde: number,
    breached: boolean,
    own: 'treatment' | 'control',
  ): store.ResultRow {
    const mine = own === 'treatment' ? c.treatment : c.control;
    const vsControl = own === 'treatment';
    const nan = Number.NaN;
    return {
      experiment: name,
      asOf,
      variant,
      control,
      metric: c.metric,
      kind: METRICS[c.metric].kind,
      window,
      units: mine.units,
      n: mine.denominator,
      value: mine.value,
      controlValue: c.control.value,
      difference: vsControl ? c.difference.estimate : nan,
      ciLow: vsControl ? c.ci.low : nan,
      ciHigh: vsControl ? c.ci.high : nan,
      csLow: vsControl ? c.test.csLow : nan,
      csHigh: vsControl ? c.test.csHigh : nan,
      pValue: vsControl ? c.test.pValue : nan,
      mde,
      realized: nan,
      breached,
    };
  }

  async function runLook(asOf: number): Promise<LookResult> {
    const resolved = await resolve();
    if (resolved.problem !== undefined) return problemResult(resolved.name, asOf, resolved.problem);
    const { def, timeline: t } = resolved;
    if (recsys) return recommendationLook(def, t, asOf);
    const name = def.name;
    const variants = def.variants.map((v) => v.name);
    const opWindow = { from: t.start, to: Math.min(asOf, t.end) };
    const labWindow = { from: t.start, to: Math.min(asOf - t.lag, t.end) };
    const recentWindow = { from: Math.max(t.start, asOf - t.lag), to: Math.min(asOf, t.end) };
    const horizonReached = asOf >= t.end + t.lag;

    const base = await baseline(t);
    const op = await store.momentsByVariant(clickhouse, variants, opWindow);
    const lab = await store.momentsByVariant(clickhouse, variants, labWindow, asOf);
    const models = await store.modelsByVariant(clickhouse, variants, opWindow);
    const previous = await store.previousLooks(clickhouse, name, asOf);
    const moments = (variant: string, m: MetricName) =>
      (METRICS[m].labelled ? lab : op).get(variant)?.[m] ?? EMPTY_MOMENTS;
    const controlShare = def.variants.find((v) => v.name === control)?.share ?? 0;
    const emittedAt = now();

    const results: store.ResultRow[] = [];
    const decisions: ExperimentDecision[] = [];
    let controlRowsDone = false;
    for (const v of def.variants.filter((x) => x.name !== control)) {
      const p = plans(base, { control: controlShare, treatment: v.share });
      const comparisons = METRIC_NAMES.map((m) =>
        compare(m, moments(control, m), moments(v.name, m), p[m].tau2, alpha),
      );
      const byMetric = new Map(comparisons.map((c) => [c.metric, c]));
      const primary = byMetric.get(PRIMARY) as MetricComparison;
      const j = judge({
        primary,
        guardrails: comparisons.filter((c) => METRICS[c.metric].kind === 'GUARDRAIL'),
        margins: s.EXPERIMENTS_MARGINS,
        championLimits: s.EXPERIMENTS_CHAMPION_LIMITS,
        previous: previous.get(v.name),
        horizonReached,
        alpha,
        minUnits: s.EXPERIMENTS_MIN_UNITS,
      });
      if (!(p[PRIMARY].tau2 > 0)) {
        j.reasons.push(
          `no baseline to plan from: no decisions with matured labels in the ${s.EXPERIMENTS_BASELINE_DAYS} days before the start (set EXPERIMENTS_START)`,
        );
      }
      const decisionId = `${name}/${v.name}/${new Date(asOf).toISOString()}`;
      const mode: PolicyMode = j.recommendation === 'ROLLBACK' ? s.EXPERIMENTS_ROLLBACK : s.EXPERIMENTS_PROMOTION;
      const controlModel = models.get(control) ?? '';
      const variantModel = models.get(v.name) ?? '';
      const outcome = await applyPolicy(registry, {
        recommendation: j.recommendation,
        mode,
        variantModel,
        controlModel,
        by: s.SERVICE_NAME,
        why: `experiment ${name}: ${j.verdict} at ${decisionId}: ${j.reasons.join('; ')}`,
      });
      const figures: ExperimentFigure[] = comparisons
        .filter((c) => METRICS[c.metric].kind !== 'INFO')
        .map((c) => ({
          metric: c.metric,
          value: c.treatment.value,
          control_value: c.control.value,
          difference: c.difference.estimate,
          cs_low: c.test.csLow,
          cs_high: c.test.csHigh,
        }));
      decisions.push({
        decision_id: decisionId,
        experiment: name,
        variant: v.name,
        control,
        as_of: asOf,
        verdict: j.verdict,
        recommendation: j.recommendation,
        mode,
        action_status: outcome.status,
        action_detail: outcome.detail,
        control_model: controlModel,
        variant_model: variantModel,
        min_p_value: j.minPValue,
        reasons: j.reasons,
        figures,
        emitted_at: emittedAt,
      });
      for (const c of comparisons) {
        const window = METRICS[c.metric].labelled ? labWindow : opWindow;
        const champBreach = j.verdict === 'CHAMPION_BREACH' && j.breached.has(c.metric);
        results.push(
          resultRow(
            name,
            asOf,
            v.name,
            c,
            window,
            p[c.metric].mde,
            j.verdict === 'GUARDRAIL_BREACH' && j.breached.has(c.metric),
            'treatment',
          ),
        );
        if (!controlRowsDone)
          results.push(resultRow(name, asOf, control, c, window, Number.NaN, champBreach, 'control'));
      }
      controlRowsDone = true;
    }
    results.push(...(await estimates(name, asOf, variants, recentWindow, labWindow)));

    // Figures first, then the messages, then the decisions that mark the look done: a crash in
    // between runs the look again with the same ids (the registry operations skip what is done).
    await store.insertResults(clickhouse, results, emittedAt);
    await publisher.publish(decisions);
    await store.insertDecisions(clickhouse, decisions, emittedAt);
    for (const d of decisions) {
      logger.info(
        {
          experiment: name,
          variant: d.variant,
          asOf: new Date(asOf).toISOString(),
          verdict: d.verdict,
          recommendation: d.recommendation,
          action: d.action_status,
          detail: d.action_detail,
          pValue: d.min_p_value,
        },
        'experiment look',
      );
    }
    return { experiment: name, asOf, decisions, results };
  }

  /** A look at a ranking experiment: CTR and NDCG@10 per variant (recsys-look.ts), recorded as fraud's are. */
  async function recommendationLook(def: ExperimentDefinition, t: Timeline, asOf: number): Promise<LookResult> {
    const emittedAt = now();
    const { results, decisions } = await recsysLook(
      clickhouse,
      def,
      t,
      asOf,
      {
        control,
        alpha,
        power: s.EXPERIMENTS_POWER,
        days: s.EXPERIMENTS_DAYS,
        baselineDays: s.EXPERIMENTS_BASELINE_DAYS,
        minUnits: s.EXPERIMENTS_MIN_UNITS,
        powerSims: s.EXPERIMENTS_POWER_SIMS,
      },
      emittedAt,
    );
    await store.insertResults(clickhouse, results, emittedAt);
    await publisher.publish(decisions);
    await store.insertDecisions(clickhouse, decisions, emittedAt);
    for (const d of decisions) {
      logger.info(
        { experiment: def.name, variant: d.variant, asOf: new Date(asOf).toISOString(), verdict: d.verdict },
        'experiment look',
      );
    }
    return { experiment: def.name, asOf, decisions, results };
  }

  async function runDue(): Promise<LookResult[]> {
    const resolved = await resolve();
    if (resolved.problem !== undefined) return [problemResult(resolved.name, now(), resolved.problem)];
    const { def, timeline: t } = resolved;
    const last = await store.lastLook(clickhouse, def.name);
    const newest = (await store.newestDecision(clickhouse, log)) ?? 0;
    const out: LookResult[] = [];
    // Daily looks at start + k days, once event time has passed them, until the last day's labels are in.
    for (
      let asOf = last !== undefined ? last + DAY : t.start + DAY;
      asOf <= newest && asOf <= t.end + t.lag;
      asOf += DAY
    ) {
      if (polling.stopped) break;
      out.push(await runLook(asOf));
    }
    return out;
  }

  const polling = createPolling({
    run: () => runDue(),
    intervalMs: s.EXPERIMENTS_POLL,
    logger,
    failure: 'experiment analysis failed; retrying at the next poll',
  });

  return {
    runLook,
    runDue,
    start: polling.start,
    stop: polling.stop,
    get healthy() {
      return polling.healthy;
    },
  };
}
