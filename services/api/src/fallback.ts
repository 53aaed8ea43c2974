import { assignVariant, decide, type RuleSet } from '@pipeline/decision';
import type { Decision, EnrichedTransaction, Transaction } from '@pipeline/topology';

/** What the engine needs of a feature set (`fraudFeatureSet` in production). */
export interface FeatureSetShape {
  readonly name: string;
  readonly version: number;
  readonly names: readonly string[];
}

export interface Fallback {
  decision: Decision;
  /** `as_of_event`: the feature service's vector for the event; `missing`: it had not come, every feature NaN. */
  features: 'as_of_event' | 'missing';
}

/**
 * The rules-only decision the decision engine itself makes when a score misses its budget: its
 * `decide` with no score, the customer's variant of the rule set's experiment. With the event's
 * enriched vector this is exactly the engine's fallback; without it every feature is missing (NaN),
 * so rules on features do not fire (a missing value makes every comparison false) and only rules on
 * the transaction, the lists and the default action decide.
 */
export function rulesOnlyDecision(
  ruleSet: RuleSet,
  transaction: Transaction,
  enriched: EnrichedTransaction | null,
  featureSet: FeatureSetShape,
  now: number,
): Fallback {
  const usable =
    enriched !== null &&
    enriched.features.feature_set === featureSet.name &&
    enriched.features.version === featureSet.version &&
    enriched.features.values.length === featureSet.names.length;
  const event: EnrichedTransaction = usable
    ? enriched
    : {
        transaction,
        features: {
          feature_set: featureSet.name,
          version: featureSet.version,
          values: featureSet.names.map(() => Number.NaN),
        },
        computed_at: now,
      };
  const variant = assignVariant(ruleSet.experiment, transaction.customer_id);
  return {
    decision: decide({ ruleSet, event, score: null, variant, now }),
    features: usable ? 'as_of_event' : 'missing',
  };
}
