import type { ModelRegistry } from '@pipeline/scorer';
import type { ClickHouseClient } from '@pipeline/shared';
import type { ExperimentDecision, ExperimentRecommendation, PolicyMode } from '@pipeline/topology';
import { compareEstimates, type MetricComparison } from './analysis/metrics.js';
import { EMPTY_MOMENTS, type Moments } from './analysis/ratio.js';
import { judge } from './analysis/verdict.js';
import { labelFreeEstimates } from './estimates.js';
import type { ExperimentDefinition } from './experiment.js';
import { type PlanSettings, planMetrics } from './plan.js';
import { applyPolicy, type PolicyOutcome } from './policy.js';
import { comparisonRow, figures, type LookKey } from './result-rows.js';
import * as store from './store.js';
import type { UseCase } from './use-case.js';

export const DAY = 86_400_000;

/** The experiment's timeline: traffic [start, end), labels of a day taken as known `lag` after it. */
export interface Timeline {
  start: number;
  end: number;
  lag: number;
}

export interface LookSettings extends PlanSettings {
  control: string;
  minUnits: number;
  /** Per guardrail: the worst difference a challenger may have, and the highest value of the champion. */
  margins: Partial<Record<string, number>>;
  championLimits: Partial<Record<string, number>>;
  /** The policy modes of a promotion and a rollback (use cases whose action is `policy`). */
  promotion: PolicyMode;
  rollback: PolicyMode;
  /** Who acts, in the registry's history. */
  by: string;
  /** Most scored decisions read per variant for the label-free estimates. */
  maxRows: number;
}

export interface Look {
  results: store.ResultRow[];
  /** One per challenger: the verdict on the primary metric, and what was done about it. */
  decisions: ExperimentDecision[];
}

type ByVariant<M extends string> = Map<string, Partial<Record<M, Moments>>>;

/** The operational moments over `op`, and the labelled ones over `lab` with the labels known at labelsAsOf (if the use case has any). */
async function readMoments<M extends string>(
  client: ClickHouseClient,
  useCase: UseCase<M>,
  variants: readonly string[] | null,
  op: store.Window,
  lab: store.Window,
  labelsAsOf: number,
): Promise<{ op: ByVariant<M>; lab: ByVariant<M> }> {
  const opMoments = await useCase.moments(client, variants, op);
  const labelled = useCase.names.some((m) => useCase.metrics[m].labelled);
  return { op: opMoments, lab: labelled ? await useCase.moments(client, variants, lab, labelsAsOf) : opMoments };
}

/** Per metric, the pooled moments of the baseline days before the start (labelled metrics: matured, labels as of the start). */
async function baseline<M extends string>(
  client: ClickHouseClient,
  useCase: UseCase<M>,
  t: Timeline,
  baselineDays: number,
): Promise<Partial<Record<M, Moments>>> {
  const b = baselineDays * DAY;
  const { op, lab } = await readMoments(
    client,
    useCase,
    null,
    { from: t.start - b, to: t.start },
    { from: t.start - t.lag - b, to: t.start - t.lag },
    t.start,
  );
  const out: Partial<Record<M, Moments>> = {};
  for (const m of useCase.names) out[m] = store.pooled(useCase.metrics[m].labelled ? lab : op, m);
  return out;
}

/** What is done about a challenger's recommendation: the registry policy, or (action `recommend`) only said. */
async function act(
  action: UseCase<string>['action'],
  registry: ModelRegistry,
  recommendation: ExperimentRecommendation,
  why: string,
  models: { variant: string; control: string; variantName: string },
  s: LookSettings,
): Promise<PolicyOutcome & { mode: PolicyMode }> {
  if (action === 'recommend') {
    const recommended = recommendation !== 'NONE' && recommendation !== 'CONTINUE';
    return {
      mode: 'RECOMMEND',
      status: recommended ? 'RECOMMENDED' : 'NONE',
      detail: recommended ? `${recommendation.toLowerCase()} variant ${models.variantName}` : '',
    };
  }
  const mode = recommendation === 'ROLLBACK' ? s.rollback : s.promotion;
  const outcome = await applyPolicy(registry, {
    recommendation,
    mode,
    variantModel: models.variant,
    controlModel: models.control,
    by: s.by,
    why,
  });
  return { mode, ...outcome };
}

/**
 * One look at an experiment as of `asOf` (event time): per challenger, every metric against the
 * control, customers or users as units, operational figures over `[start, min(asOf, end))` and
 * labelled ones over `[start, min(asOf − lag, end))` with the labels known at the look; planned from
 * the baseline days before the start, tested (mSPRT, confidence sequence), judged, and acted on as
 * the use case says. Nothing is written here.
 */
export async function analyseLook<M extends string>(
  client: ClickHouseClient,
  registry: ModelRegistry,
  useCase: UseCase<M>,
  def: ExperimentDefinition,
  t: Timeline,
  asOf: number,
  s: LookSettings,
  emittedAt: number,
): Promise<Look> {
  const name = def.name;
  const control = s.control;
  const key: LookKey = { experiment: name, asOf, control };
  const variants = def.variants.map((v) => v.name);
  const opWindow = { from: t.start, to: Math.min(asOf, t.end) };
  const labWindow = { from: t.start, to: Math.min(asOf - t.lag, t.end) };
  const recentWindow = { from: Math.max(t.start, asOf - t.lag), to: Math.min(asOf, t.end) };
  const windowOf = (m: M) => (useCase.metrics[m].labelled ? labWindow : opWindow);

  const base = await baseline(client, useCase, t, s.baselineDays);
  const { op, lab } = await readMoments(client, useCase, variants, opWindow, labWindow, asOf);
  const models = await store.modelsByVariant(client, variants, opWindow, useCase.log);
  const previous = await store.previousLooks(client, name, asOf);
  const moments = (variant: string, m: M) =>
    (useCase.metrics[m].labelled ? lab : op).get(variant)?.[m] ?? EMPTY_MOMENTS;
  const controlShare = def.variants.find((v) => v.name === control)?.share ?? 0;

  const results: store.ResultRow[] = [];
  const decisions: ExperimentDecision[] = [];
  let controlRowsDone = false;
  for (const v of def.variants.filter((x) => x.name !== control)) {
    const p = planMetrics(useCase, base, { control: controlShare, treatment: v.share }, s);
    const comparisons = useCase.names.map((m) =>
      compareEstimates(
        m,
        useCase.metrics[m].better,
        useCase.estimate(m, moments(control, m)),
        useCase.estimate(m, moments(v.name, m)),
        p[m].tau2,
        s.alpha,
      ),
    );
    const primary = comparisons.find((c) => c.metric === useCase.primary) as MetricComparison<M>;
    const j = judge({
      primary,
      guardrails: comparisons.filter((c) => useCase.metrics[c.metric].kind === 'GUARDRAIL'),
      margins: s.margins,
      championLimits: s.championLimits,
      previous: previous.get(v.name),
      horizonReached: asOf >= t.end + t.lag,
      alpha: s.alpha,
      minUnits: s.minUnits,
    });
    if (!(p[useCase.primary].tau2 > 0)) {
      j.reasons.push(
        `no baseline to plan from: no ${useCase.baselineOf} in the ${s.baselineDays} days before the start (set EXPERIMENTS_START)`,
      );
    }
    const decisionId = `${name}/${v.name}/${new Date(asOf).toISOString()}`;
    const controlModel = models.get(control) ?? '';
    const variantModel = models.get(v.name) ?? '';
    const outcome = await act(
      useCase.action,
      registry,
      j.recommendation,
      `experiment ${name}: ${j.verdict} at ${decisionId}: ${j.reasons.join('; ')}`,
      { variant: variantModel, control: controlModel, variantName: v.name },
      s,
    );
    decisions.push({
      decision_id: decisionId,
      experiment: name,
      variant: v.name,
      control,
      as_of: asOf,
      verdict: j.verdict,
      recommendation: j.recommendation,
      mode: outcome.mode,
      action_status: outcome.status,
      action_detail: outcome.detail,
      control_model: controlModel,
      variant_model: variantModel,
      min_p_value: j.minPValue,
      reasons: j.reasons,
      figures: figures(useCase, comparisons),
      emitted_at: emittedAt,
    });
    for (const c of comparisons) {
      const breached = j.breached.has(c.metric);
      const window = windowOf(c.metric);
      const mde = p[c.metric].mde;
      results.push(
        comparisonRow(useCase, key, v.name, c, window, mde, j.verdict === 'GUARDRAIL_BREACH' && breached, 'treatment'),
      );
      if (!controlRowsDone) {
        const champBreach = j.verdict === 'CHAMPION_BREACH' && breached;
        results.push(comparisonRow(useCase, key, control, c, window, Number.NaN, champBreach, 'control'));
      }
    }
    controlRowsDone = true;
  }
  if (useCase.labelFreeEstimates) {
    results.push(...(await labelFreeEstimates(client, key, variants, recentWindow, labWindow, s.maxRows)));
  }
  return { results, decisions };
}
