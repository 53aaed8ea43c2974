import type { FeatureSet } from '@pipeline/feature-sets';
import { FEATURE_GROUPS, type FeatureGroup, featureGroup, isQuotient } from './feature-groups.js';

/**
 * Largest relative difference accepted, for quotients only (see `isQuotient`): four units in the
 * last place. ClickHouse 18.16 parses `INSERT … VALUES` floats one unit in the last place off now and
 * then (17 of 2,000 random quotients, measured), so a quotient can come back from the log that far
 * from the value the engine served; any real difference (one event more or less in a window) is
 * orders of magnitude larger. Everything else must be equal to the bit.
 */
export const QUOTIENT_TOLERANCE = 4 * Number.EPSILON;

/** exact: the same number (NaN equals NaN); close: a quotient within the tolerance; differs: anything else. */
export type Verdict = 'exact' | 'close' | 'differs';

export function compareValue(logged: number, reference: number, quotient: boolean): Verdict {
  if (logged === reference || (Number.isNaN(logged) && Number.isNaN(reference))) return 'exact';
  if (quotient && Number.isFinite(logged) && Number.isFinite(reference)) {
    const scale = Math.max(Math.abs(logged), Math.abs(reference));
    if (Math.abs(logged - reference) <= QUOTIENT_TOLERANCE * scale) return 'close';
  }
  return 'differs';
}

/**
 * How far apart two differing values are, for ranking: the absolute difference (a count 40 off is
 * worse than one 1 off, though both are 100 % off from 0), infinite when only one is NaN.
 */
export function distance(logged: number, reference: number): number {
  if (Number.isNaN(logged) !== Number.isNaN(reference)) return Number.POSITIVE_INFINITY;
  return Math.abs(logged - reference);
}

export interface Difference {
  eventId: string;
  feature: string;
  logged: number;
  reference: number;
}

export interface GroupShare {
  /** The group's features in the set. */
  features: number;
  /** Vectors whose values of this group all match. */
  exactVectors: number;
  exactShare: number | null;
}

export interface FeatureCount {
  name: string;
  group: FeatureGroup;
  /** Vectors where this feature differs. */
  differs: number;
  /** Vectors where it matched only within the quotient tolerance. */
  close: number;
}

export interface Comparison {
  /** Logged vectors compared with their reference. */
  vectors: number;
  exactVectors: number;
  exactShare: number | null;
  /** Groups the set has features in. */
  groups: Partial<Record<FeatureGroup, GroupShare>>;
  features: FeatureCount[];
  /** Values equal only within QUOTIENT_TOLERANCE (counted as exact). */
  closeValues: number;
  /** Logged vectors of another length than the set's. */
  wrongLength: number;
  /** Logged under another feature set or version: not comparable, not exact. */
  otherSet: number;
  /** Reference vectors with no logged row, and logged rows with no reference transaction. */
  missing: number;
  unexpected: number;
  /** A few ids of each, to look up. */
  missingExamples: string[];
  unexpectedExamples: string[];
  /** The largest differences, spread over the features that differ (see `worstExamples`). */
  worst: Difference[];
}

const KEPT_IDS = 5;

/**
 * Tallies logged vectors against reference vectors, value by value, in constant memory: counts per
 * group and feature, and the worst differences (at most `examples` per feature).
 */
export function createTally(set: FeatureSet, options: { examples: number }) {
  const groups = set.features.map(featureGroup);
  const quotients = set.features.map(isQuotient);
  const present = FEATURE_GROUPS.filter((g) => groups.includes(g));
  const groupExact = new Map<FeatureGroup, number>(present.map((g) => [g, 0]));
  const differs = new Array<number>(set.names.length).fill(0);
  const close = new Array<number>(set.names.length).fill(0);
  const worstByFeature = new Map<string, (Difference & { distance: number })[]>();
  let vectors = 0;
  let exactVectors = 0;
  let closeValues = 0;
  let wrongLength = 0;
  let otherSet = 0;
  let missing = 0;
  let unexpected = 0;
  const missingExamples: string[] = [];
  const unexpectedExamples: string[] = [];

  const remember = (d: Difference) => {
    const list = worstByFeature.get(d.feature) ?? [];
    const entry = { ...d, distance: distance(d.logged, d.reference) };
    if (list.length >= options.examples && !((list.at(-1)?.distance ?? 0) < entry.distance)) return;
    list.push(entry);
    list.sort((a, b) => b.distance - a.distance);
    if (list.length > options.examples) list.pop();
    worstByFeature.set(d.feature, list);
  };

  return {
    /** One logged vector and its reference; true when every value matches. */
    add(eventId: string, logged: ArrayLike<number>, reference: ArrayLike<number>): boolean {
      vectors++;
      if (logged.length !== set.names.length || reference.length !== set.names.length) {
        wrongLength++;
        remember({ eventId, feature: '(vector length)', logged: logged.length, reference: reference.length });
        return false;
      }
      const groupOk = new Map<FeatureGroup, boolean>(present.map((g) => [g, true]));
      let ok = true;
      for (let i = 0; i < set.names.length; i++) {
        const a = logged[i] as number;
        const b = reference[i] as number;
        const verdict = compareValue(a, b, quotients[i] as boolean);
        if (verdict === 'close') {
          closeValues++;
          close[i] = (close[i] as number) + 1;
        } else if (verdict === 'differs') {
          ok = false;
          groupOk.set(groups[i] as FeatureGroup, false);
          differs[i] = (differs[i] as number) + 1;
          remember({ eventId, feature: set.names[i] as string, logged: a, reference: b });
        }
      }
      for (const [g, fine] of groupOk) if (fine) groupExact.set(g, (groupExact.get(g) ?? 0) + 1);
      if (ok) exactVectors++;
      return ok;
    },
    /** A logged vector of another feature set or version: counted, never exact. */
    otherSet(): void {
      vectors++;
      otherSet++;
    },
    /** A reference transaction with no logged vector. */
    missing(eventId: string): void {
      missing++;
      if (missingExamples.length < KEPT_IDS) missingExamples.push(eventId);
    },
    /** A logged vector of no reference transaction. */
    unexpected(eventId: string): void {
      unexpected++;
      if (unexpectedExamples.length < KEPT_IDS) unexpectedExamples.push(eventId);
    },
    result(): Comparison {
      const share = (n: number) => (vectors === 0 ? null : n / vectors);
      return {
        vectors,
        exactVectors,
        exactShare: share(exactVectors),
        groups: Object.fromEntries(
          present.map((g) => {
            const exact = groupExact.get(g) ?? 0;
            return [
              g,
              { features: groups.filter((x) => x === g).length, exactVectors: exact, exactShare: share(exact) },
            ];
          }),
        ),
        features: set.names.map((name, i) => ({
          name,
          group: groups[i] as FeatureGroup,
          differs: differs[i] as number,
          close: close[i] as number,
        })),
        closeValues,
        wrongLength,
        otherSet,
        missing,
        unexpected,
        missingExamples: [...missingExamples],
        unexpectedExamples: [...unexpectedExamples],
        worst: worstExamples(worstByFeature, options.examples),
      };
    },
  };
}

export type Tally = ReturnType<typeof createTally>;

/**
 * `count` differences, taken in turns from each differing feature (the feature with the largest
 * difference first), so one feature's many differences do not hide the others'.
 */
export function worstExamples(
  byFeature: ReadonlyMap<string, readonly (Difference & { distance: number })[]>,
  count: number,
): Difference[] {
  const lists = [...byFeature.values()]
    .filter((l) => l.length > 0)
    .sort((a, b) => (b[0]?.distance ?? 0) - (a[0]?.distance ?? 0));
  const out: Difference[] = [];
  for (let round = 0; out.length < count && lists.some((l) => l.length > round); round++) {
    for (const list of lists) {
      const d = list[round];
      if (d && out.length < count)
        out.push({ eventId: d.eventId, feature: d.feature, logged: d.logged, reference: d.reference });
    }
  }
  return out;
}
