import type { ClickHouseClient } from '@pipeline/shared';
import type { ExperimentDecision, ExperimentFigure } from '@pipeline/topology';
import type { MetricComparison } from './analysis/metrics.js';
import { metricPlan } from './analysis/power.js';
import { ratio } from './analysis/ratio.js';
import {
  compareRecsys,
  RECSYS_METRIC_NAMES,
  RECSYS_METRICS,
  RECSYS_PRIMARY,
  type RecsysMetric,
} from './analysis/recsys.js';
import { judge } from './analysis/verdict.js';
import type { ExperimentDefinition } from './experiment.js';
import * as store from './store.js';

export interface RecsysLookSettings {
  control: string;
  alpha: number;
  power: number;
  days: number;
  baselineDays: number;
  minUnits: number;
  powerSims: number;
}

export interface RecsysLook {
  results: store.ResultRow[];
  /** One per challenger: the verdict on CTR (NDCG@10 is shown, not judged). Recommended only. */
  decisions: ExperimentDecision[];
}

const DAY = 86_400_000;

/**
 * One look at a recommendation experiment (the ranking policy's `experiment:` block): per challenger,
 * CTR and NDCG@10 against the control, users as units, over the lists of `[start, min(asOf, end))`
 * with the labels the sink holds at the look. Planned from the baseline days before the start, tested
 * and judged by the same functions as fraud's figures (ratio, mSPRT, confidence sequence, judge).
 * Clicks come within the session, so no label lag is waited for.
 */
export async function recsysLook(
  client: ClickHouseClient,
  def: ExperimentDefinition,
  timeline: { start: number; end: number },
  asOf: number,
  s: RecsysLookSettings,
  emittedAt: number,
): Promise<RecsysLook> {
  const window = { from: timeline.start, to: Math.min(asOf, timeline.end) };
  const base = await store.recsysMomentsByVariant(client, null, {
    from: timeline.start - s.baselineDays * DAY,
    to: timeline.start,
  });
  const byVariant = await store.recsysMomentsByVariant(
    client,
    def.variants.map((v) => v.name),
    window,
  );
  const models = await store.modelsByVariant(
    client,
    def.variants.map((v) => v.name),
    window,
    'recsys_recommendations',
  );
  const previous = await store.previousLooks(client, def.name, asOf);
  const controlShare = def.variants.find((v) => v.name === s.control)?.share ?? 0;
  const control = byVariant.get(s.control) ?? {};
  const results: store.ResultRow[] = [];
  const decisions: ExperimentDecision[] = [];
  const nan = Number.NaN;
  const row = (variant: string, c: MetricComparison<RecsysMetric>, mde: number, own: boolean): store.ResultRow => {
    const mine = own ? c.treatment : c.control;
    return {
      experiment: def.name,
      asOf,
      variant,
      control: s.control,
      metric: c.metric,
      kind: RECSYS_METRICS[c.metric].kind,
      window,
      units: mine.units,
      n: mine.denominator,
      value: mine.value,
      controlValue: c.control.value,
      difference: own ? c.difference.estimate : nan,
      ciLow: own ? c.ci.low : nan,
      ciHigh: own ? c.ci.high : nan,
      csLow: own ? c.test.csLow : nan,
      csHigh: own ? c.test.csHigh : nan,
      pValue: own ? c.test.pValue : nan,
      mde,
      realized: nan,
      breached: false,
    };
  };

  let controlRowsDone = false;
  for (const v of def.variants.filter((x) => x.name !== s.control)) {
    const plans = {} as Record<RecsysMetric, { tau2: number; mde: number }>;
    for (const m of RECSYS_METRIC_NAMES) {
      const r = ratio(store.pooled(base, m));
      plans[m] = metricPlan(
        {
          unitVariance: r.unitVariance,
          baselineUnits: r.units,
          baselineDays: s.baselineDays,
          shares: { control: controlShare, treatment: v.share },
          days: s.days,
          alpha: s.alpha,
          power: s.power,
          sim: { sims: s.powerSims, seed: 1 },
        },
        m === RECSYS_PRIMARY,
      );
    }
    const comparisons = compareRecsys(control, byVariant.get(v.name) ?? {}, plans, s.alpha);
    const primary = comparisons.find((c) => c.metric === RECSYS_PRIMARY) as MetricComparison<RecsysMetric>;
    const j = judge({
      primary,
      guardrails: [],
      margins: {},
      championLimits: {},
      previous: previous.get(v.name),
      horizonReached: asOf >= timeline.end,
      alpha: s.alpha,
      minUnits: s.minUnits,
    });
    if (!(plans[RECSYS_PRIMARY].tau2 > 0)) {
      j.reasons.push(
        `no baseline to plan from: no recommendations in the ${s.baselineDays} days before the start (set EXPERIMENTS_START)`,
      );
    }
    for (const c of comparisons) {
      results.push(row(v.name, c, plans[c.metric].mde, true));
      if (!controlRowsDone) results.push(row(s.control, c, nan, false));
    }
    controlRowsDone = true;
    const figures: ExperimentFigure[] = comparisons.map((c) => ({
      metric: c.metric,
      value: c.treatment.value,
      control_value: c.control.value,
      difference: c.difference.estimate,
      cs_low: c.test.csLow,
      cs_high: c.test.csHigh,
    }));
    const variantModel = models.get(v.name) ?? '';
    const recommended = j.recommendation !== 'NONE' && j.recommendation !== 'CONTINUE';
    decisions.push({
      decision_id: `${def.name}/${v.name}/${new Date(asOf).toISOString()}`,
      experiment: def.name,
      variant: v.name,
      control: s.control,
      as_of: asOf,
      verdict: j.verdict,
      recommendation: j.recommendation,
      // A ranking variant is a policy and/or a model of the recsys_core scope: ending or adopting it is
      // an edit of the policy file or a `npm run model -- promote --scope recsys_core`, said, not done.
      mode: 'RECOMMEND',
      action_status: recommended ? 'RECOMMENDED' : 'NONE',
      action_detail: recommended ? `${j.recommendation.toLowerCase()} variant ${v.name}` : '',
      control_model: models.get(s.control) ?? '',
      variant_model: variantModel,
      min_p_value: j.minPValue,
      reasons: j.reasons,
      figures,
      emitted_at: emittedAt,
    });
  }
  return { results, decisions };
}
