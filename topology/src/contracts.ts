/**
 * TypeScript shapes of the Avro records in schemas/, for code that produces or consumes them.
 * contracts.test.ts checks a sample of each against its schema, so the two cannot drift apart.
 * Times are epoch milliseconds (timestamp-millis); amounts are integer minor units.
 */

export type Channel = 'POS' | 'ECOM' | 'ATM' | 'MOTO';

export interface Transaction {
  event_id: string;
  event_time: number;
  customer_id: string;
  terminal_id: string;
  amount_minor: number;
  currency: string;
  channel: Channel;
  country: string;
  device_hash: string | null;
  ip_hash: string | null;
}

/** Transaction's fields in schema order, for code that lists them (CSV columns, table columns, rules). */
export const TRANSACTION_FIELDS = [
  'event_id',
  'event_time',
  'customer_id',
  'terminal_id',
  'amount_minor',
  'currency',
  'channel',
  'country',
  'device_hash',
  'ip_hash',
] as const satisfies readonly (keyof Transaction)[];

export interface Label {
  transaction_id: string;
  customer_id: string;
  terminal_id: string;
  is_fraud: boolean;
  label_time: number;
  /** The labelled transaction's event_time; null only in labels written before the field existed (refused). */
  transaction_time: number | null;
}

export interface FeatureVector {
  feature_set: string;
  version: number;
  values: number[];
}

export interface EnrichedTransaction {
  transaction: Transaction;
  features: FeatureVector;
  computed_at: number;
}

export interface Score {
  event_id: string;
  customer_id: string;
  event_time: number;
  model_name: string;
  model_version: string;
  feature_set_version: number;
  score: number;
  shadow: boolean;
  latency_ms: number;
  scored_at: number;
  contributions: { feature: string; value: number }[];
}

export type Action = 'APPROVE' | 'REVIEW' | 'DECLINE' | 'STEP_UP';

export interface Decision {
  event_id: string;
  customer_id: string;
  event_time: number;
  action: Action;
  reason_codes: string[];
  score: number | null;
  path: 'MODEL_AND_RULES' | 'RULES_ONLY';
  rule_set_version: string;
  model_name: string | null;
  model_version: string | null;
  feature_set_version: number;
  experiment_variant: string;
  decided_at: number;
}

export type MonitorCheck = 'DRIFT' | 'QUALITY' | 'PERFORMANCE' | 'MIX';

/** One breached figure: a feature's PSI, the window's ROC AUC, an action's share... */
export interface Evidence {
  subject: string;
  metric: string;
  value: number;
  threshold: number;
  n: number;
}

export interface Alert {
  alert_id: string;
  episode_id: string;
  status: 'OPEN' | 'RESOLVED';
  check: MonitorCheck;
  model_name: string;
  model_version: string;
  variant: string;
  window_start: number;
  window_end: number;
  reasons: string[];
  evidence: Evidence[];
  reference_start: number | null;
  reference_end: number | null;
  emitted_at: number;
}

export interface RetrainingTrigger {
  trigger_id: string;
  episode_id: string | null;
  model_name: string;
  model_version: string;
  variant: string;
  checks: string[];
  reasons: string[];
  evidence: Evidence[];
  window_start: number;
  window_end: number;
  reference_start: number | null;
  reference_end: number | null;
  requested_by: string;
  requested_at: number;
}

/** The symbols of ExperimentDecision's enums, in schema order (contracts.test.ts checks them). */
export const EXPERIMENT_VERDICTS = [
  'CONTINUE',
  'CHALLENGER_WINS',
  'CHAMPION_WINS',
  'NO_DIFFERENCE',
  'GUARDRAIL_BREACH',
  'CHAMPION_BREACH',
  'INSUFFICIENT_DATA',
] as const;
export type ExperimentVerdict = (typeof EXPERIMENT_VERDICTS)[number];
export const EXPERIMENT_RECOMMENDATIONS = ['CONTINUE', 'PROMOTE', 'ROLLBACK', 'STOP', 'NONE'] as const;
export type ExperimentRecommendation = (typeof EXPERIMENT_RECOMMENDATIONS)[number];
export const POLICY_MODES = ['RECOMMEND', 'DRY_RUN', 'ACT'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];
export const ACTION_STATUSES = ['NONE', 'RECOMMENDED', 'DRY_RUN', 'APPLIED', 'SKIPPED', 'FAILED'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface ExperimentFigure {
  metric: string;
  value: number;
  control_value: number;
  difference: number;
  cs_low: number;
  cs_high: number;
}

export interface ExperimentDecision {
  decision_id: string;
  experiment: string;
  variant: string;
  control: string;
  as_of: number;
  verdict: ExperimentVerdict;
  recommendation: ExperimentRecommendation;
  mode: PolicyMode;
  action_status: ActionStatus;
  action_detail: string;
  control_model: string;
  variant_model: string;
  min_p_value: number;
  reasons: string[];
  figures: ExperimentFigure[];
  emitted_at: number;
}

// Recommendations (schemas/recsys/).

/** The symbols of Interaction's type, in schema order (contracts.test.ts checks them). */
export const INTERACTION_TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

export interface Interaction {
  event_id: string;
  event_time: number;
  user_id: string;
  item_id: string;
  category: string;
  type: InteractionType;
  recommendation_id: string | null;
  position: number | null;
  price_minor: number | null;
}

export interface RequestContext {
  surface: string;
  device: string | null;
  current_item_id: string | null;
}

export interface RecommendationRequest {
  request_id: string;
  event_time: number;
  user_id: string;
  context: RequestContext;
  candidate_item_ids: string[];
  candidate_source: string | null;
  k: number;
}

/** A candidate's vector: `values` in the order of the feature set named beside it. */
export interface CandidateVector {
  item_id: string;
  category: string;
  values: number[];
}

export interface EnrichedRequest {
  request: RecommendationRequest;
  features: { feature_set: string; version: number; candidates: CandidateVector[] };
  computed_at: number;
}

/** One model's scores for a request's candidates (schemas/recsys/score.avsc), in the candidates' order. */
export interface RecommendationScores {
  request_id: string;
  user_id: string;
  event_time: number;
  model_name: string;
  model_version: string;
  feature_set_version: number;
  scores: number[];
  shadow: boolean;
  latency_ms: number;
  scored_at: number;
}

export interface RankedItem {
  item_id: string;
  position: number;
  score: number | null;
  reason_codes: string[];
}

export interface Recommendation {
  request_id: string;
  user_id: string;
  event_time: number;
  items: RankedItem[];
  path: 'MODEL_AND_RULES' | 'RULES_ONLY';
  rule_set_version: string;
  model_name: string | null;
  model_version: string | null;
  feature_set_version: number;
  experiment_variant: string;
  decided_at: number;
}

/** The symbols of RecommendationLabel's outcome, in schema order: the interaction types after a view. */
export const LABEL_OUTCOMES = ['CLICK', 'ADD_TO_CART', 'PURCHASE'] as const satisfies readonly InteractionType[];
export type LabelOutcome = (typeof LABEL_OUTCOMES)[number];

export interface RecommendationLabel {
  recommendation_id: string;
  user_id: string;
  item_id: string;
  position: number;
  outcome: LabelOutcome;
  interaction_id: string;
  recommendation_time: number;
  label_time: number;
}
