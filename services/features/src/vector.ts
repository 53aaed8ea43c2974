import { type Entity, eventValue, type FeatureDef, type FeatureSet } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import { type Aggregates, type EntityPlan, layoutOf } from './plan.js';

/**
 * Value of an entity feature from the entity's aggregates as of time t, with `amount` the amount of
 * the event being scored (undefined for an online read: features relative to an event are NaN).
 */
export function entityValue(f: FeatureDef, agg: Aggregates, t: number, amount: number | undefined): number {
  switch (f.kind) {
    case 'window': {
      if (f.op === 'distinct') return agg.distinct.get(f.window) ?? Number.NaN;
      if (f.op === 'rate') {
        const r = agg.frauds.get(f.window);
        return !r || r.n === 0 ? Number.NaN : r.f / r.n;
      }
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

// compileVector and entityFeatures take transaction sets, whose entities are customer and terminal
const entityOf = (f: FeatureDef): Entity | undefined =>
  f.kind === 'window' || f.kind === 'since_prev' || f.kind === 'relative' ? (f.entity as Entity) : undefined;

/** Builds a transaction's full vector from the two script replies (customer and terminal), at offsets. */
export type VectorBuilder = (
  tx: Transaction,
  c: readonly number[],
  co: number,
  t: readonly number[],
  to: number,
) => number[];

type Value = (tx: Transaction, r: readonly number[], o: number) => number;

/**
 * Compiles the feature set into one small function per feature reading the script replies at fixed
 * positions: no per-event maps or parsing. Same arithmetic as entityValue.
 */
export function compileVector(set: FeatureSet, plans: Record<Entity, EntityPlan>): VectorBuilder {
  const layouts = { customer: layoutOf(plans.customer), terminal: layoutOf(plans.terminal) };
  const nan: Value = () => Number.NaN;
  const entityFn = (f: FeatureDef, entity: Entity): Value => {
    const layout = layouts[entity];
    switch (f.kind) {
      case 'window': {
        if (f.op === 'distinct') {
          const d = layout.distinct.find((x) => x.window === f.window);
          return d ? (_, r, o) => r[o + d.at] as number : nan;
        }
        if (f.op === 'rate') {
          const fr = layout.frauds.find((y) => y.window === f.window);
          if (!fr) return nan;
          const { f: fi, n: ni } = fr;
          return (_, r, o) => (r[o + ni] === 0 ? Number.NaN : (r[o + fi] as number) / (r[o + ni] as number));
        }
        const a = layout.amount.find((x) => x.window === f.window);
        if (!a) return nan;
        const { n, s, x } = a;
        switch (f.op) {
          case 'count':
            return (_, r, o) => r[o + n] as number;
          case 'sum':
            return s < 0 ? nan : (_, r, o) => r[o + s] as number;
          case 'mean':
            return s < 0
              ? nan
              : (_, r, o) => (r[o + n] === 0 ? Number.NaN : (r[o + s] as number) / (r[o + n] as number));
          case 'max':
            return x < 0 ? nan : (_, r, o) => (r[o + n] === 0 ? Number.NaN : (r[o + x] as number));
        }
        return nan;
      }
      case 'since_prev': {
        const p = layout.prev;
        return (tx, r, o) => {
          const prev = r[o + p] as number;
          return prev > 0 ? (tx.event_time - prev) / 1000 : Number.NaN;
        };
      }
      case 'relative': {
        const a = layout.amount.find((x) => x.window === f.window);
        if (!a || a.s < 0) return nan;
        const { n, s } = a;
        return (tx, r, o) => {
          const count = r[o + n] as number;
          if (count === 0) return Number.NaN;
          const mean = (r[o + s] as number) / count;
          return mean > 0 ? tx.amount_minor / mean : Number.NaN;
        };
      }
      default:
        return nan;
    }
  };
  const fns = set.features.map((f) => {
    const entity = entityOf(f);
    return entity ? { entity, fn: entityFn(f, entity) } : { entity, fn: (tx: Transaction) => eventValue(f, tx) };
  });
  const count = fns.length;
  return (tx, c, co, t, to) => {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const { entity, fn } = fns[i] as (typeof fns)[number];
      out[i] = entity === 'terminal' ? fn(tx, t, to) : fn(tx, c, co);
    }
    return out;
  };
}

/** The features of one entity, by name, as of time t (online reads). */
export function entityFeatures(set: FeatureSet, entity: Entity, agg: Aggregates, t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of set.features) {
    if (entityOf(f) === entity) out[f.name] = entityValue(f, agg, t, undefined);
  }
  return out;
}
