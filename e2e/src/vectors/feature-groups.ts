import { type FeatureDef, type FeatureSet, reachMs } from '@pipeline/feature-sets';

/**
 * The groups the replay check reports on. Today's engine orders each customer's events (one
 * partition) but not a terminal's (spread over partitions), so the groups are the entity and, for
 * terminals, whether labels feed the feature.
 */
export const FEATURE_GROUPS = ['customer', 'terminal_counts', 'terminal_fraud_rates', 'event'] as const;
export type FeatureGroup = (typeof FEATURE_GROUPS)[number];

/** A feature's group, from its declaration: entity features by entity, label-fed terminal ones apart. */
export function featureGroup(feature: FeatureDef): FeatureGroup {
  if (!('entity' in feature)) return 'event';
  if (feature.entity === 'customer') return 'customer';
  return 'source' in feature && feature.source === 'fraud' ? 'terminal_fraud_rates' : 'terminal_counts';
}

/**
 * Whether a feature's value is the quotient of two numbers (a mean, a rate, a ratio, seconds from
 * milliseconds): only those may come back from the log a few units in the last place off (see
 * QUOTIENT_TOLERANCE in compare.ts). Counts, sums, maxima and event fields are integers, exact in text.
 */
export function isQuotient(feature: FeatureDef): boolean {
  switch (feature.kind) {
    case 'window':
      return feature.op === 'mean' || feature.op === 'rate';
    case 'since_prev':
    case 'relative':
      return true;
    default:
      return false;
  }
}

/**
 * How much event time the reference must keep for a set: its reach (the longest window plus its
 * delay and bucket, from the declarations: 38 days for fraud_core v2) plus a minute.
 */
export function referenceKeepMs(set: FeatureSet): number {
  return reachMs(set) + 60_000;
}
