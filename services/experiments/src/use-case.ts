import type { ClickHouseClient } from '@pipeline/shared';
import { estimate, METRIC_NAMES, METRICS, type MetricName, PRIMARY } from './analysis/metrics.js';
import { type Moments, type RatioEstimate, ratio } from './analysis/ratio.js';
import { RECSYS_METRIC_NAMES, RECSYS_METRICS, RECSYS_PRIMARY, type RecsysMetric } from './analysis/recsys.js';
import * as store from './store.js';

export type MetricKind = 'PRIMARY' | 'GUARDRAIL' | 'INFO';

/**
 * What differs between the use cases' experiments, as data: their metrics, where their decisions are
 * logged and their moments read, whether labels come late, and what a recommendation leads to. The
 * look itself (look.ts) is the same for both.
 */
export interface UseCase<M extends string> {
  metrics: Readonly<Record<M, { kind: MetricKind; better: 'higher' | 'lower'; labelled?: boolean }>>;
  names: readonly M[];
  primary: M;
  /** A metric's ratio estimate in its unit. */
  estimate(metric: M, moments: Moments): RatioEstimate;
  /** Moments per variant: the labelled metrics (labelsAsOf given) or the rest; variants null: every variant. */
  moments(
    client: ClickHouseClient,
    variants: readonly string[] | null,
    w: store.Window,
    labelsAsOf?: number,
  ): Promise<Map<string, Partial<Record<M, Moments>>>>;
  /** The table the variants' decisions are logged in. */
  log: store.DecisionLog;
  /** Labels come days after the decision (fraud reports), so looks wait EXPERIMENTS_LABEL_LAG for them. */
  labelLag: boolean;
  /** What the baseline is made of, for the reason given when it is empty. */
  baselineOf: string;
  /** The kinds of metric the decision message carries as figures. */
  figureKinds: readonly MetricKind[];
  /**
   * `policy`: a recommendation goes through the promotion/rollback policy (the model registry);
   * `recommend`: it is only said.
   */
  action: 'policy' | 'recommend';
  /** Label-free estimates of the scores' performance (CBPE) are recorded with each look. */
  labelFreeEstimates: boolean;
}

/** Fraud: customers as units, labels known after the lag, the champion model promoted or rolled back by policy. */
export const FRAUD: UseCase<MetricName> = {
  metrics: METRICS,
  names: METRIC_NAMES,
  primary: PRIMARY,
  estimate,
  moments: store.momentsByVariant,
  log: 'decisions',
  labelLag: true,
  baselineOf: 'decisions with matured labels',
  figureKinds: ['PRIMARY', 'GUARDRAIL'],
  action: 'policy',
  labelFreeEstimates: true,
};

/**
 * Recommendations: users as units, CTR judged and NDCG@10 shown. Clicks come within the session, so
 * no label lag is waited for. A ranking variant is a policy and/or a model of the recsys_core scope:
 * ending or adopting it is an edit of the policy file or a `npm run model -- promote --scope
 * recsys_core`, said, not done.
 */
export const RECSYS: UseCase<RecsysMetric> = {
  metrics: RECSYS_METRICS,
  names: RECSYS_METRIC_NAMES,
  primary: RECSYS_PRIMARY,
  estimate: (_metric, moments) => ratio(moments),
  moments: (client, variants, w) => store.recsysMomentsByVariant(client, variants, w),
  log: 'recsys_recommendations',
  labelLag: false,
  baselineOf: 'recommendations',
  figureKinds: ['PRIMARY', 'GUARDRAIL', 'INFO'],
  action: 'recommend',
  labelFreeEstimates: false,
};

export const USE_CASES: Record<'fraud' | 'recsys', UseCase<string>> = { fraud: FRAUD, recsys: RECSYS };
