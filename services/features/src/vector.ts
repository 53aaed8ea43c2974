import { type Entity, eventValue, type FeatureDef, type FeatureSet } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import { type Aggregates, type EntityPlan, type Layout, layoutOf } from './plan.js';

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

/** A feature's value from a script reply at offset o, for an event at time t with `amount` (NaN: none). */
type Read = (r: readonly number[], o: number, t: number, amount: number) => number;
const nan: Read = () => Number.NaN;

/** The reader of an entity feature at fixed positions of its entity's layout. Same arithmetic as entityValue. */
function entityRead(f: FeatureDef, layout: Layout): Read {
  switch (f.kind) {
    case 'window': {
      if (f.op === 'distinct') {
        const d = layout.distinct.find((x) => x.window === f.window);
        return d ? (r, o) => r[o + d.at] as number : nan;
      }
      if (f.op === 'rate') {
        const fr = layout.frauds.find((y) => y.window === f.window);
        if (!fr) return nan;
        const { f: fi, n: ni } = fr;
        return (r, o) => (r[o + ni] === 0 ? Number.NaN : (r[o + fi] as number) / (r[o + ni] as number));
      }
      const a = layout.amount.find((x) => x.window === f.window);
      if (!a) return nan;
      const { n, s, x } = a;
      switch (f.op) {
        case 'count':
          return (r, o) => r[o + n] as number;
        case 'sum':
          return s < 0 ? nan : (r, o) => r[o + s] as number;
        case 'mean':
          return s < 0 ? nan : (r, o) => (r[o + n] === 0 ? Number.NaN : (r[o + s] as number) / (r[o + n] as number));
        case 'max':
          return x < 0 ? nan : (r, o) => (r[o + n] === 0 ? Number.NaN : (r[o + x] as number));
      }
      return nan;
    }
    case 'since_prev': {
      const p = layout.prev;
      return (r, o, t) => {
        const prev = r[o + p] as number;
        return prev > 0 ? (t - prev) / 1000 : Number.NaN;
      };
    }
    case 'relative': {
      const a = layout.amount.find((x) => x.window === f.window);
      if (!a || a.s < 0) return nan;
      const { n, s } = a;
      return (r, o, _, amount) => {
        const count = r[o + n] as number;
        if (count === 0) return Number.NaN;
        const mean = (r[o + s] as number) / count;
        return mean > 0 ? amount / mean : Number.NaN;
      };
    }
    default:
      return nan;
  }
}

/**
 * Compiles the feature set into one small function per feature reading the script replies at fixed
 * positions: no per-event maps or parsing. Same arithmetic as entityValue.
 */
export function compileVector(set: FeatureSet, plans: Record<Entity, EntityPlan>): VectorBuilder {
  const layouts = { customer: layoutOf(plans.customer), terminal: layoutOf(plans.terminal) };
  const fns = set.features.map((f) => {
    const entity = entityOf(f);
    return entity
      ? { entity, read: entityRead(f, layouts[entity]) }
      : { entity, read: undefined, value: (tx: Transaction) => eventValue(f, tx) };
  });
  const count = fns.length;
  return (tx, c, co, t, to) => {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const { entity, read, value } = fns[i] as (typeof fns)[number];
      if (!read) out[i] = (value as (tx: Transaction) => number)(tx);
      else if (entity === 'terminal') out[i] = read(t, to, tx.event_time, tx.amount_minor);
      else out[i] = read(c, co, tx.event_time, tx.amount_minor);
    }
    return out;
  };
}

/**
 * Builds a declared event's vector as of time t from its entities' replies, in `set.entities`'
 * order, each at its offset (an entity not read: its features NaN); then the ratios, which read
 * other features of the set.
 */
export type DeclaredVectorBuilder = (
  t: number,
  replies: readonly (readonly number[] | undefined)[],
  offsets: ArrayLike<number>,
) => number[];

/** compileVector for a set over declared entities (entityValue's arithmetic, no amounts). */
export function compileDeclaredVector(set: FeatureSet, plans: Record<string, EntityPlan>): DeclaredVectorBuilder {
  const entityIndex = new Map(set.entities.map((d, i) => [d.name, i]));
  const positions = new Map(set.names.map((name, i) => [name, i]));
  const fns = set.features.map((f) =>
    (f.kind === 'window' || f.kind === 'since_prev') && plans[f.entity]
      ? { e: entityIndex.get(f.entity) as number, read: entityRead(f, layoutOf(plans[f.entity] as EntityPlan)) }
      : undefined,
  );
  const ratios = set.features.flatMap((f, k) =>
    f.kind === 'ratio'
      ? [{ k, num: positions.get(f.numerator) as number, den: positions.get(f.denominator) as number }]
      : [],
  );
  const count = fns.length;
  return (t, replies, offsets) => {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const fn = fns[i];
      const r = fn ? replies[fn.e] : undefined;
      out[i] = fn && r ? fn.read(r, offsets[fn.e] as number, t, Number.NaN) : Number.NaN;
    }
    for (const { k, num, den } of ratios) {
      const d = out[den] as number;
      out[k] = d === 0 ? Number.NaN : (out[num] as number) / d;
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
