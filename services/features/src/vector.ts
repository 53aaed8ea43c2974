import { type Entity, eventValue, type FeatureDef, type FeatureSet } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import type { Aggregates } from './plan.js';

/**
 * Value of an entity feature from the entity's aggregates as of time t, with `amount` the amount of
 * the event being scored (undefined for an online read: features relative to an event are NaN).
 */
export function entityValue(f: FeatureDef, agg: Aggregates, t: number, amount: number | undefined): number {
  switch (f.kind) {
    case 'window': {
      if (f.op === 'distinct') return agg.distinct.get(f.window) ?? Number.NaN;
      const a = agg.amount.get(f.window);
      if (!a) return Number.NaN;
      switch (f.op) {
        case 'count':
          return a.n;
        case 'sum':
          return a.s;
        case 'mean':
          return a.n === 0 ? Number.NaN : a.s / a.n;
        case 'max':
          return a.n === 0 ? Number.NaN : a.x;
        case 'rate':
          return a.n === 0 ? Number.NaN : (agg.frauds.get(f.window) ?? Number.NaN) / a.n;
      }
      return Number.NaN;
    }
    case 'since_prev':
      return Number.isNaN(agg.prevTime) ? Number.NaN : (t - agg.prevTime) / 1000;
    case 'relative': {
      const a = agg.amount.get(f.window);
      if (amount === undefined || !a || a.n === 0) return Number.NaN;
      const mean = a.s / a.n;
      return mean > 0 ? amount / mean : Number.NaN;
    }
    default:
      return Number.NaN;
  }
}

const entityOf = (f: FeatureDef): Entity | undefined =>
  f.kind === 'window' || f.kind === 'since_prev' || f.kind === 'relative' ? f.entity : undefined;

/** The full vector for a transaction, in the feature set's order. */
export function featureVector(set: FeatureSet, tx: Transaction, aggs: Record<Entity, Aggregates>): number[] {
  return set.features.map((f) => {
    const entity = entityOf(f);
    return entity ? entityValue(f, aggs[entity], tx.event_time, tx.amount_minor) : eventValue(f, tx);
  });
}

/** The features of one entity, by name, as of time t (online reads). */
export function entityFeatures(set: FeatureSet, entity: Entity, agg: Aggregates, t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of set.features) {
    if (entityOf(f) === entity) out[f.name] = entityValue(f, agg, t, undefined);
  }
  return out;
}
