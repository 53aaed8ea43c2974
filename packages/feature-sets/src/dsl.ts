/**
 * The declaration language: features are data, validated when declared, output names derived.
 *
 *   groupBy({ entity: 'customer', aggs: [agg('amount', ['sum', 'max'], ['1h', '1d'])] })
 *     → customer_amount_sum_1h, customer_amount_max_1h, customer_amount_sum_1d, customer_amount_max_1d
 *
 * Nothing here computes; the feature service's engine (and computeReference) read these declarations.
 */

export type Entity = 'customer' | 'terminal';
export const ENTITIES: readonly Entity[] = ['customer', 'terminal'];

/** What an aggregation reads: the amount, the transaction itself, its terminal, or fraud labels. */
export type Source = 'amount' | 'transaction' | 'terminal' | 'fraud';
export type Operation = 'count' | 'sum' | 'mean' | 'max' | 'distinct' | 'rate';
export type WindowName = '1h' | '1d' | '7d' | '30d';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * A window of W with granularity G covers [floor_G(t) - W, t): W of complete buckets plus the current
 * partial one. Coarser windows hop in coarser steps, which keeps the state per entity bounded.
 */
export const WINDOWS: Record<WindowName, { ms: number; granularityMs: number }> = {
  '1h': { ms: HOUR, granularityMs: MINUTE },
  '1d': { ms: DAY, granularityMs: HOUR },
  '7d': { ms: 7 * DAY, granularityMs: DAY },
  '30d': { ms: 30 * DAY, granularityMs: DAY },
};

/** Which operations each source allows, per entity. */
const ALLOWED: Record<Source, { entities: readonly Entity[]; ops: readonly Operation[] }> = {
  amount: { entities: ['customer', 'terminal'], ops: ['count', 'sum', 'mean', 'max'] },
  transaction: { entities: ['customer', 'terminal'], ops: ['count'] },
  terminal: { entities: ['customer'], ops: ['distinct'] },
  fraud: { entities: ['terminal'], ops: ['rate'] },
};

export type EventField = 'hour_of_day' | 'is_weekend' | 'is_night' | 'amount';

export type FeatureDef =
  | {
      kind: 'window';
      name: string;
      entity: Entity;
      source: Source;
      op: Operation;
      window: WindowName;
      /** Label delay of a rate (0 for every other operation): see `agg`. */
      delayMs: number;
    }
  | { kind: 'since_prev'; name: string; entity: Entity }
  | { kind: 'relative'; name: string; entity: Entity; window: WindowName }
  | { kind: 'event'; name: string; field: EventField }
  | { kind: 'one_hot'; name: string; field: 'channel' | 'country'; value: string }
  | { kind: 'category_index'; name: string; field: 'channel' | 'country'; vocabulary: readonly string[] };

export class FeatureDeclarationError extends Error {
  override readonly name = 'FeatureDeclarationError';
}

export interface Agg {
  source: Source;
  ops: readonly Operation[];
  windows: readonly WindowName[];
  delayMs: number;
}

export interface AggOptions {
  /**
   * Only for 'rate', a duration like the windows' names (default none). A fraud rate over window W
   * with delay D, as of a transaction at t on a terminal: S = the terminal's transactions in the
   * window W as of s = t - D, event time in [floor_G(s) - W, s); rate = (transactions of S with a
   * fraud label whose label_time < t, each counted once) / |S|, NaN when S is empty. A share of a
   * defined set, so never above 1 for consistent labels; the delay leaves labels time to arrive.
   */
  delay?: WindowName;
}

export function agg(
  source: Source,
  ops: Operation | readonly Operation[],
  windows: readonly WindowName[],
  options: AggOptions = {},
): Agg {
  const list = typeof ops === 'string' ? [ops] : ops;
  if (!(source in ALLOWED)) throw new FeatureDeclarationError(`unknown source '${source}'`);
  if (list.length === 0) throw new FeatureDeclarationError(`agg('${source}') declares no operation`);
  if (windows.length === 0) throw new FeatureDeclarationError(`agg('${source}') declares no window`);
  for (const op of list) {
    if (!ALLOWED[source].ops.includes(op)) {
      throw new FeatureDeclarationError(
        `operation '${op}' does not apply to source '${source}' (allowed: ${ALLOWED[source].ops.join(', ')})`,
      );
    }
  }
  for (const w of windows) {
    if (!(w in WINDOWS)) throw new FeatureDeclarationError(`unknown window '${w}' (known: ${Object.keys(WINDOWS)})`);
  }
  const { delay } = options;
  if (delay === undefined) return { source, ops: list, windows, delayMs: 0 };
  if (list.some((op) => op !== 'rate')) {
    throw new FeatureDeclarationError(`agg('${source}') declares a delay, which applies only to 'rate'`);
  }
  if (!Object.hasOwn(WINDOWS, delay)) {
    throw new FeatureDeclarationError(`unknown delay '${delay}' (known: ${Object.keys(WINDOWS)})`);
  }
  return { source, ops: list, windows, delayMs: WINDOWS[delay].ms };
}

/** Derived per-entity features: time since the entity's previous transaction; amount over a window mean. */
export type Derived = { kind: 'since_prev' } | { kind: 'relative'; window: WindowName };
export const sincePrev = (): Derived => ({ kind: 'since_prev' });
export const amountRelativeToMean = (window: WindowName): Derived => ({ kind: 'relative', window });

export function groupBy(spec: { entity: Entity; aggs: readonly Agg[]; derived?: readonly Derived[] }): FeatureDef[] {
  const { entity } = spec;
  if (!ENTITIES.includes(entity)) throw new FeatureDeclarationError(`unknown entity '${entity}'`);
  const out: FeatureDef[] = [];
  for (const a of spec.aggs) {
    if (!ALLOWED[a.source].entities.includes(entity)) {
      throw new FeatureDeclarationError(`source '${a.source}' does not apply to entity '${entity}'`);
    }
    for (const window of a.windows) {
      for (const op of a.ops) {
        out.push({
          kind: 'window',
          name: `${entity}_${a.source}_${op}_${window}`,
          entity,
          source: a.source,
          op,
          window,
          delayMs: op === 'rate' ? a.delayMs : 0,
        });
      }
    }
  }
  for (const d of spec.derived ?? []) {
    if (d.kind === 'since_prev') out.push({ kind: 'since_prev', name: `${entity}_seconds_since_prev`, entity });
    else {
      if (!(d.window in WINDOWS)) throw new FeatureDeclarationError(`unknown window '${d.window}'`);
      out.push({ kind: 'relative', name: `${entity}_amount_relative_to_mean_${d.window}`, entity, window: d.window });
    }
  }
  return out;
}

/** Features of the event itself. Categorical fields one-hot over a declared vocabulary, or as an index. */
export function eventFeatures(spec: {
  fields?: readonly EventField[];
  oneHot?: { field: 'channel' | 'country'; vocabulary: readonly string[] }[];
  index?: { field: 'channel' | 'country'; vocabulary: readonly string[] }[];
}): FeatureDef[] {
  const out: FeatureDef[] = [];
  for (const field of spec.fields ?? []) out.push({ kind: 'event', name: `event_${field}`, field });
  for (const { field, vocabulary } of spec.oneHot ?? []) {
    if (vocabulary.length === 0) throw new FeatureDeclarationError(`one-hot '${field}' has an empty vocabulary`);
    for (const value of vocabulary) {
      out.push({ kind: 'one_hot', name: `event_${field}_${value.toLowerCase()}`, field, value });
    }
  }
  for (const { field, vocabulary } of spec.index ?? []) {
    if (vocabulary.length === 0) throw new FeatureDeclarationError(`index '${field}' has an empty vocabulary`);
    out.push({ kind: 'category_index', name: `event_${field}_index`, field, vocabulary });
  }
  return out;
}

/** How far back in event time a set's windowed features reach: the longest window, its bucket and delay. */
export function reachMs(set: FeatureSet): number {
  let reach = 0;
  for (const f of set.features) {
    if (f.kind === 'window' || f.kind === 'relative') {
      const { ms, granularityMs } = WINDOWS[f.window];
      reach = Math.max(reach, ms + granularityMs + (f.kind === 'window' ? f.delayMs : 0));
    }
  }
  return reach;
}

export interface FeatureSet {
  readonly name: string;
  readonly version: number;
  /** The stable order: the model's input contract. */
  readonly names: readonly string[];
  readonly features: readonly FeatureDef[];
  /** Position of a feature in the vector; throws for an unknown name. */
  index(name: string): number;
}

export function featureSet(spec: { name: string; version: number; features: readonly FeatureDef[][] }): FeatureSet {
  if (!/^[a-z][a-z0-9_]*$/.test(spec.name)) throw new FeatureDeclarationError(`bad feature-set name '${spec.name}'`);
  if (!Number.isInteger(spec.version) || spec.version < 1) {
    throw new FeatureDeclarationError(`feature-set version must be a positive integer, got ${spec.version}`);
  }
  const features = Object.freeze(spec.features.flat());
  if (features.length === 0) throw new FeatureDeclarationError(`feature set '${spec.name}' declares no feature`);
  const positions = new Map<string, number>();
  features.forEach((f, i) => {
    if (positions.has(f.name)) throw new FeatureDeclarationError(`feature '${f.name}' is declared twice`);
    positions.set(f.name, i);
  });
  for (const f of features) {
    if (f.kind === 'relative' && !features.some((g) => g.kind === 'window' && g.entity === f.entity)) {
      throw new FeatureDeclarationError(`'${f.name}' needs a windowed aggregation on ${f.entity}`);
    }
  }
  // The engine keeps one delayed series per entity.
  const rateDelay = new Map<Entity, { name: string; delayMs: number }>();
  for (const f of features) {
    if (f.kind !== 'window' || f.op !== 'rate') continue;
    const first = rateDelay.get(f.entity);
    if (!first) rateDelay.set(f.entity, f);
    else if (first.delayMs !== f.delayMs) {
      throw new FeatureDeclarationError(`'${f.name}' and '${first.name}': the rates of one entity need one delay`);
    }
  }
  const names = Object.freeze(features.map((f) => f.name));
  return Object.freeze({
    name: spec.name,
    version: spec.version,
    names,
    features,
    index(name: string): number {
      const i = positions.get(name);
      if (i === undefined) throw new FeatureDeclarationError(`feature set '${spec.name}' has no feature '${name}'`);
      return i;
    },
  });
}
