import type { ExperimentRecommendation, ExperimentVerdict } from '@pipeline/topology';
import type { MetricComparison, MetricName } from './metrics.js';
import { csHalfWidth } from './msprt.js';

/** The verdicts and recommendations are the decision topic's enums (schemas/experiments/decision.avsc). */
export type Verdict = ExperimentVerdict;
export type Recommendation = ExperimentRecommendation;

export interface Judgement<M extends string = MetricName> {
  verdict: Verdict;
  recommendation: Recommendation;
  /** The always-valid p-value of the primary metric: the minimum of 1/Λ over every look so far. */
  minPValue: number;
  /** Guardrails whose figure breached, as readable lines. */
  reasons: string[];
  breached: Set<M>;
}

export interface JudgeInput<M extends string = MetricName> {
  primary: MetricComparison<M>;
  guardrails: readonly MetricComparison<M>[];
  /** Worst difference (treatment − control, in the harmful direction) a challenger may have, per guardrail. */
  margins: Partial<Record<M, number>>;
  /** Highest value the champion (control) may have, per guardrail. */
  championLimits: Partial<Record<M, number>>;
  /** The last look's verdict and minimum p-value (none before the first look). */
  previous?: { verdict: Verdict; minPValue: number } | undefined;
  /** The last planned look is done. */
  horizonReached: boolean;
  alpha: number;
  /** Labelled customers per arm below this: no verdict on the primary metric yet. */
  minUnits: number;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));

/**
 * Judges one look of one challenger against the control. Guardrails are read from the confidence
 * sequences, which hold at every look at once: a breach is a harmful difference whose whole
 * always-valid interval lies beyond the margin (so noise on a daily look does not trip it), and a
 * champion breach is a control value whose whole always-valid interval lies above its limit.
 */
export function judge<M extends string>(input: JudgeInput<M>): Judgement<M> {
  const { primary, alpha } = input;
  // 1 before the first judged look (a NaN read back must not poison the running minimum).
  const before = input.previous?.minPValue;
  const previousMinPValue = before !== undefined && before >= 0 ? before : 1;
  const reasons: string[] = [];
  const breached = new Set<M>();

  for (const g of input.guardrails) {
    const limit = input.championLimits[g.metric];
    if (limit !== undefined && g.control.variance > 0 && g.tau2 > 0) {
      const low = g.control.value - csHalfWidth(g.control.variance, g.tau2, alpha);
      if (low > limit) {
        breached.add(g.metric);
        reasons.push(
          `champion ${g.metric} ${fmt(g.control.value)} > limit ${fmt(limit)} (always-valid low ${fmt(low)})`,
        );
      }
    }
  }
  if (breached.size > 0) {
    return {
      verdict: 'CHAMPION_BREACH',
      recommendation: 'ROLLBACK',
      minPValue: previousMinPValue,
      reasons,
      breached,
    };
  }

  for (const g of input.guardrails) {
    const margin = input.margins[g.metric];
    if (margin === undefined || Number.isNaN(g.test.csLow)) continue;
    // Oriented so that positive is harm: for a lower-is-better metric, an increase.
    const harmLow = g.better === 'lower' ? g.test.csLow : -g.test.csHigh;
    if (harmLow > margin) {
      breached.add(g.metric);
      reasons.push(
        `challenger ${g.metric} worse by ${fmt(Math.abs(g.difference.estimate))} (always-valid at least ${fmt(harmLow)} > margin ${fmt(margin)})`,
      );
    }
  }
  if (breached.size > 0) {
    return {
      verdict: 'GUARDRAIL_BREACH',
      recommendation: 'STOP',
      minPValue: previousMinPValue,
      reasons,
      breached,
    };
  }

  if (
    primary.control.units < input.minUnits ||
    primary.treatment.units < input.minUnits ||
    Number.isNaN(primary.test.pValue)
  ) {
    reasons.push(
      `too few labelled customers for ${primary.metric}: control ${primary.control.units}, challenger ${primary.treatment.units} (at least ${input.minUnits} each, with some variance)`,
    );
    return {
      verdict: 'INSUFFICIENT_DATA',
      recommendation: 'NONE',
      minPValue: previousMinPValue,
      reasons,
      breached,
    };
  }

  const minPValue = Math.min(previousMinPValue, primary.test.pValue);
  const diff = primary.difference.estimate;
  // The test stopped at an earlier look: its verdict stands (a later look only adds to the record).
  const stopped = input.previous?.verdict;
  if (stopped === 'CHALLENGER_WINS' || stopped === 'CHAMPION_WINS' || stopped === 'NO_DIFFERENCE') {
    reasons.push(`decided at an earlier look (always-valid p ${minPValue.toPrecision(3)})`);
    return {
      verdict: stopped,
      recommendation: stopped === 'CHALLENGER_WINS' ? 'PROMOTE' : 'STOP',
      minPValue,
      reasons,
      breached,
    };
  }
  if (minPValue <= alpha) {
    const better = primary.better === 'higher' ? diff > 0 : diff < 0;
    reasons.push(`${primary.metric} difference ${fmt(diff)}, always-valid p ${minPValue.toPrecision(3)} <= ${alpha}`);
    return better
      ? { verdict: 'CHALLENGER_WINS', recommendation: 'PROMOTE', minPValue, reasons, breached }
      : { verdict: 'CHAMPION_WINS', recommendation: 'STOP', minPValue, reasons, breached };
  }
  if (input.horizonReached) {
    reasons.push(
      `horizon reached: ${primary.metric} difference ${fmt(diff)}, always-valid p ${minPValue.toPrecision(3)}`,
    );
    return { verdict: 'NO_DIFFERENCE', recommendation: 'STOP', minPValue, reasons, breached };
  }
  return { verdict: 'CONTINUE', recommendation: 'CONTINUE', minPValue, reasons, breached };
}
