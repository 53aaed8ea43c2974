/**
 * The declaration language: features are data, validated when declared, output names derived.
 *
 *   groupBy({ entity: 'customer', aggs: [agg('amount', ['sum', 'max'], ['1h', '1d'])] })
 *     → customer_amount_sum_1h, customer_amount_max_1h, customer_amount_sum_1d, customer_amount_max_1d
 *
 * Nothing here computes; the feature service's engine (and computeReference) read these declarations.
 */

/** The entities of transactions (fraud), built in; other events declare theirs with `entity`. */
export type Entity = 'customer' | 'terminal';
export const ENTITIES: readonly Entity[] = ['customer', 'terminal'];

/**
 * An entity declared over any event stream: its state is keyed by fields of the event, and changed
 * by the events whose `when.field` is one of `when.in` (all of them without `when`). An event that
 * does not change it still reads it: every event gets every entity's features as of its time, e.g.
 * a view the clicks of its user. Only counts (`agg('event', 'count', ...)`) and the time since
 * the previous event (`sincePrev`) are declared on these so far.
 */
export interface EntityDecl {
  /** Prefix of its feature names. */
  readonly name: string;
  /** Hash tag of its Redis keys, `{<tag>:<id>}`: short, unique within a set; c, t, w, l, q and p are taken. */
  readonly tag: string;
  /** Event fields whose values, joined by '|' (which ids never hold), are the entity's id. */
  readonly key: readonly string[];
  readonly when?: { readonly field: string; readonly in: readonly string[] };
}

// the transaction entities', the watermarks', the request lookups' and the candidate sources' (services/features keys.ts)
const RESERVED_TAGS = ['c', 't', 'w', 'l', 'q', 'p'];

export function entity(spec: EntityDecl): EntityDecl {
  if (!/^[a-z][a-z0-9_]*$/.test(spec.name)) throw new FeatureDeclarationError(`bad entity name '${spec.name}'`);
  if ((ENTITIES as readonly string[]).includes(spec.name)) {
    throw new FeatureDeclarationError(`entity name '${spec.name}' is a transaction entity's`);
  }
  if (!/^[a-z][a-z0-9]{0,7}$/.test(spec.tag) || RESERVED_TAGS.includes(spec.tag)) {
    throw new FeatureDeclarationError(
      `entity '${spec.name}': tag '${spec.tag}' must be 1-8 lowercase letters or digits, not ${RESERVED_TAGS.join(', ')}`,
    );
  }
  if (spec.key.length === 0) throw new FeatureDeclarationError(`entity '${spec.name}' declares no key field`);
  if (spec.when && spec.when.in.length === 0) {
    throw new FeatureDeclarationError(`entity '${spec.name}': when.in lists no value`);
  }
  return Object.freeze({
    name: spec.name,
    tag: spec.tag,
    key: Object.freeze([...spec.key]),
    ...(spec.when ? { when: Object.freeze({ field: spec.when.field, in: Object.freeze([...spec.when.in]) }) } : {}),
  });
}

/**
 * How a set over declared entities serves a request that lists candidates (a recommendation
 * request): per candidate, a read-only probe event that carries the request's time and `copied`
 * fields, the candidate in `item`, the `lookedUp` fields of the latest event with that item
 * before the request (`unknown` for an item never seen), and `probe.field` = `probe.value`, which
 * changes no entity. The candidate's vector is the probe's, inserted into the event stream at the
 * request's place in the partitions' event-time merge (`mergeByEventTime`).
 */
export interface RequestDecl {
  /** The request's id field. A probe's event id is `<id>,<candidate index>`: ',' is in no event id. */
  readonly id: string;
  /** The request field listing the candidates (an array of ids). */
  readonly candidates: string;
  /** The request field naming a candidate generator when none are listed (one of `sources`, else refused). */
  readonly source?: string;
  /**
   * The candidate generators served, by name: `top` items by the sum of the `rankBy` features (window
   * counts of entities keyed by the item alone, one window) as of the request, highest first, ties by
   * item id, items at 0 left out. Their candidates then get vectors as listed ones do.
   */
  readonly sources?: Readonly<Record<string, CandidateSource>>;
  /** The event field a candidate fills. */
  readonly item: string;
  /** Request fields the probe carries as they are (its event_time always). */
  readonly copied: readonly string[];
  /** Event fields taken from the item's latest event; `unknown` where the item was never seen. */
  readonly lookedUp: readonly { readonly field: string; readonly unknown: string }[];
  /** The probe's marker: a value of an entity's `when.field` that changes no entity. */
  readonly probe: { readonly field: string; readonly value: string };
}

/** A candidate generator of a set's requests (see RequestDecl.sources). */
export interface CandidateSource {
  readonly rankBy: readonly string[];
  readonly top: number;
}

/** What an aggregation reads: the amount, the transaction itself, its terminal, fraud labels, or any event. */
export type Source = 'amount' | 'transaction' | 'terminal' | 'fraud' | 'event';
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
  // the events of a declared entity
  event: { entities: [], ops: ['count'] },
};
/** What declared entities allow. */
const DECLARED_SOURCES: readonly Source[] = ['event'];

export type EventField = 'hour_of_day' | 'is_weekend' | 'is_night' | 'amount';

export type FeatureDef =
  | {
      kind: 'window';
      name: string;
      /** A transaction entity, or a declared entity's name (then `declared` is it). */
      entity: string;
      source: Source;
      op: Operation;
      window: WindowName;
      /** Label delay of a rate (0 for every other operation): see `agg`. */
      delayMs: number;
      declared?: EntityDecl;
    }
  | { kind: 'since_prev'; name: string; entity: string; declared?: EntityDecl }
  | { kind: 'relative'; name: string; entity: Entity; window: WindowName }
  | { kind: 'event'; name: string; field: EventField }
  | { kind: 'one_hot'; name: string; field: 'channel' | 'country'; value: string }
  | { kind: 'category_index'; name: string; field: 'channel' | 'country'; vocabulary: readonly string[] }
  /** numerator ÷ denominator, two features of the set; NaN when the denominator is 0 or either is NaN. */
  | { kind: 'ratio'; name: string; numerator: string; denominator: string };

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

export function groupBy(spec: {
  entity: Entity | EntityDecl;
  aggs: readonly Agg[];
  derived?: readonly Derived[];
}): FeatureDef[] {
  const declared = typeof spec.entity === 'object' ? spec.entity : undefined;
  const entity = declared ? declared.name : (spec.entity as Entity);
  if (!declared && !ENTITIES.includes(entity as Entity))
    throw new FeatureDeclarationError(`unknown entity '${entity}'`);
  const extra = declared ? { declared } : {};
  const out: FeatureDef[] = [];
  for (const a of spec.aggs) {
    const applies = declared
      ? DECLARED_SOURCES.includes(a.source)
      : a.source !== 'event' && ALLOWED[a.source].entities.includes(entity as Entity);
    if (!applies) {
      throw new FeatureDeclarationError(`source '${a.source}' does not apply to entity '${entity}'`);
    }
    for (const window of a.windows) {
      for (const op of a.ops) {
        out.push({
          kind: 'window',
          // a declared entity's events are what it counts: no source in the name
          name: a.source === 'event' ? `${entity}_${op}_${window}` : `${entity}_${a.source}_${op}_${window}`,
          entity,
          source: a.source,
          op,
          window,
          delayMs: op === 'rate' ? a.delayMs : 0,
          ...extra,
        });
      }
    }
  }
  for (const d of spec.derived ?? []) {
    if (d.kind === 'since_prev')
      out.push({ kind: 'since_prev', name: `${entity}_seconds_since_prev`, entity, ...extra });
    else if (declared) {
      throw new FeatureDeclarationError(`'relative' reads amounts, which declared entity '${entity}' has none of`);
    } else {
      if (!(d.window in WINDOWS)) throw new FeatureDeclarationError(`unknown window '${d.window}'`);
      out.push({
        kind: 'relative',
        name: `${entity}_amount_relative_to_mean_${d.window}`,
        entity: entity as Entity,
        window: d.window,
      });
    }
  }
  return out;
}

/** A feature that divides two others of the set (a click-through rate, a share), named by hand. */
export function ratio(name: string, numerator: string, denominator: string): FeatureDef[] {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new FeatureDeclarationError(`bad feature name '${name}'`);
  return [{ kind: 'ratio', name, numerator, denominator }];
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
  /** The declared entities its features use (none for transaction sets), in order of first use. */
  readonly entities: readonly EntityDecl[];
  /** How a request's candidates get vectors from these entities, when the set serves requests. */
  readonly requests?: RequestDecl;
  /** Position of a feature in the vector; throws for an unknown name. */
  index(name: string): number;
}

export function featureSet(spec: {
  name: string;
  version: number;
  features: readonly FeatureDef[][];
  requests?: RequestDecl;
}): FeatureSet {
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
  const rateDelay = new Map<string, { name: string; delayMs: number }>();
  for (const f of features) {
    if (f.kind !== 'window' || f.op !== 'rate') continue;
    const first = rateDelay.get(f.entity);
    if (!first) rateDelay.set(f.entity, f);
    else if (first.delayMs !== f.delayMs) {
      throw new FeatureDeclarationError(`'${f.name}' and '${first.name}': the rates of one entity need one delay`);
    }
  }
  const entities = new Map<string, EntityDecl>();
  for (const f of features) {
    if (f.kind === 'ratio') {
      for (const part of [f.numerator, f.denominator]) {
        if (!positions.has(part)) throw new FeatureDeclarationError(`'${f.name}' divides '${part}', not in the set`);
      }
    }
    const declared = (f.kind === 'window' || f.kind === 'since_prev') && f.declared;
    if (!declared) continue;
    const known = entities.get(declared.name);
    if (known && JSON.stringify(known) !== JSON.stringify(declared)) {
      throw new FeatureDeclarationError(`two different entities are named '${declared.name}'`);
    }
    const sameTag = [...entities.values()].find((e) => e.tag === declared.tag && e.name !== declared.name);
    if (sameTag)
      throw new FeatureDeclarationError(
        `entities '${sameTag.name}' and '${declared.name}' share tag '${declared.tag}'`,
      );
    entities.set(declared.name, declared);
  }
  const transactionFeature = features.find((f) => 'entity' in f && (ENTITIES as readonly string[]).includes(f.entity));
  if (entities.size > 0 && transactionFeature) {
    throw new FeatureDeclarationError(
      `'${transactionFeature.name}' is a transaction feature; a set over declared entities reads other events`,
    );
  }
  if (spec.requests) {
    checkRequests(spec.name, spec.requests, [...entities.values()]);
    checkSources(spec.name, spec.requests, features);
  }
  const names = Object.freeze(features.map((f) => f.name));
  return Object.freeze({
    name: spec.name,
    version: spec.version,
    names,
    features,
    entities: Object.freeze([...entities.values()]),
    ...(spec.requests ? { requests: Object.freeze({ ...spec.requests }) } : {}),
    index(name: string): number {
      const i = positions.get(name);
      if (i === undefined) throw new FeatureDeclarationError(`feature set '${spec.name}' has no feature '${name}'`);
      return i;
    },
  });
}

/** A request's probes must only read: their marker changes no entity, and the fields they fill key them. */
function checkRequests(set: string, r: RequestDecl, entities: readonly EntityDecl[]): void {
  if (entities.length === 0)
    throw new FeatureDeclarationError(`feature set '${set}' serves requests but declares no entity`);
  const changed = entities.find(
    (e) => e.when === undefined || (e.when.field === r.probe.field && e.when.in.includes(r.probe.value)),
  );
  if (changed) {
    throw new FeatureDeclarationError(
      `'${set}': a request's probe (${r.probe.field} ${r.probe.value}) would change entity '${changed.name}'`,
    );
  }
  const filled = new Set([r.item, ...r.copied, ...r.lookedUp.map((l) => l.field)]);
  const unkeyed = entities.flatMap((e) => e.key).find((k) => !filled.has(k));
  if (unkeyed)
    throw new FeatureDeclarationError(`'${set}': a request's probe does not fill the key field '${unkeyed}'`);
}

/** A source ranks items by window counts of entities keyed by the item alone, over one window. */
function checkSources(set: string, r: RequestDecl, features: readonly FeatureDef[]): void {
  for (const [name, source] of Object.entries(r.sources ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new FeatureDeclarationError(`'${set}': bad candidate source '${name}'`);
    if (!r.source) throw new FeatureDeclarationError(`'${set}': candidate source '${name}' without a request field`);
    if (!Number.isInteger(source.top) || source.top < 1) {
      throw new FeatureDeclarationError(`'${set}': candidate source '${name}' top must be a positive integer`);
    }
    if (source.rankBy.length === 0) throw new FeatureDeclarationError(`'${set}': '${name}' ranks by no feature`);
    const windows = new Set<string>();
    for (const feature of source.rankBy) {
      const f = features.find((g) => g.name === feature);
      const ok = f?.kind === 'window' && f.op === 'count' && f.declared?.key.join() === r.item;
      if (!ok || f?.kind !== 'window') {
        throw new FeatureDeclarationError(
          `'${set}': candidate source '${name}' ranks by '${feature}', not a count of an entity keyed by ${r.item} alone`,
        );
      }
      windows.add(f.window);
    }
    if (windows.size > 1) throw new FeatureDeclarationError(`'${set}': '${name}' ranks by counts of several windows`);
  }
}
