/**
 * Candidate vectors for the ranking model's training set: a request's candidate item gets the
 * vector `computeEventReference(set, stream)` gives a read-only probe event
 * `{ event_id, event_time: request.event_time, user_id, item_id: candidate, category, type: 'REQUEST' }`
 * inserted into the interaction stream at the request's position, where `category` is the one of the
 * most recent interaction with the item before the request, or '-' if it was never seen. A probe's
 * type is in no entity's `when`, so it changes nothing: it only reads.
 *
 * `candidateVectors` computes that vector incrementally (per entity id, the sorted event times of
 * the interactions that changed it: a window count is two binary searches), since the brute-force
 * reference is quadratic in the stream; `recsys-candidates.test.ts` holds it equal to the reference
 * on seeded sessions. It is local to the training-set builder: when the feature service's shared
 * candidate function lands, `candidateVectors` is the one thing to swap for it.
 */
import { changes, entityId, type FeatureSet, type FieldEvent, WINDOWS } from '@pipeline/feature-sets';
import type { RecsysEvent } from '@pipeline/loadtest';
import type { Interaction, RecommendationRequest } from '@pipeline/topology';

/** The category of a candidate never seen in an interaction before the request. */
export const UNSEEN_CATEGORY = '-';

export interface CandidateProbe extends FieldEvent {
  readonly user_id: string;
  readonly item_id: string;
  readonly category: string;
  readonly type: 'REQUEST';
}

/** The probe event of one candidate of a request (its id is unique per request and position). */
export function candidateProbe(request: RecommendationRequest, position: number, category: string): CandidateProbe {
  return {
    event_id: `|${request.request_id}|${position}`,
    event_time: request.event_time,
    user_id: request.user_id,
    item_id: request.candidate_item_ids[position] as string,
    category,
    type: 'REQUEST',
  };
}

/** First index of `times` (sorted ascending) whose value is >= t. */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Incremental candidate vectors over a set of declared entities (counts, recency and ratios: what
 * `computeEventReference` defines for them). Feed every interaction in stream order
 * (`interaction`), and ask for a request's candidates' vectors at the request's position
 * (`request`). Out-of-order interactions are placed by event time; a repeated event id counts once,
 * as in the reference.
 */
export function candidateVectors(set: FeatureSet) {
  const decls = set.entities;
  if (decls.length === 0) throw new Error(`${set.name} declares no entities: candidate vectors read declared ones`);
  for (const f of set.features) {
    if (f.kind === 'ratio') continue;
    if ((f.kind === 'window' && f.op === 'count' && f.declared) || (f.kind === 'since_prev' && f.declared)) continue;
    throw new Error(`${set.name}: '${f.name}' is not a declared entity's count, recency or ratio`);
  }
  // per declared entity (in set.entities order): entity id -> event times, ascending
  const times = decls.map(() => new Map<string, number[]>());
  const entityIndex = new Map(decls.map((d, i) => [d.name, i]));
  const lastCategory = new Map<string, string>();
  const seen = new Set<string>();
  const index = new Map(set.names.map((n, i) => [n, i]));

  const vector = (probe: CandidateProbe): number[] => {
    const t = probe.event_time;
    const listOf = (entity: string) => {
      const k = entityIndex.get(entity) as number;
      return times[k]?.get(entityId(decls[k] as (typeof decls)[number], probe)) ?? [];
    };
    const values = set.features.map((f) => {
      if (f.kind === 'window') {
        const { ms, granularityMs } = WINDOWS[f.window];
        const start = Math.floor(t / granularityMs) * granularityMs - ms;
        const list = listOf(f.entity);
        return lowerBound(list, t) - lowerBound(list, start);
      }
      if (f.kind === 'since_prev') {
        const list = listOf(f.entity);
        const before = lowerBound(list, t) - 1;
        return before < 0 ? Number.NaN : (t - (list[before] as number)) / 1000;
      }
      return Number.NaN;
    });
    set.features.forEach((f, i) => {
      if (f.kind !== 'ratio') return;
      const d = values[index.get(f.denominator) as number] as number;
      values[i] = d === 0 ? Number.NaN : (values[index.get(f.numerator) as number] as number) / d;
    });
    return values;
  };

  return {
    /** An interaction, in stream order. */
    interaction(event: Interaction): void {
      if (seen.has(event.event_id)) return;
      seen.add(event.event_id);
      lastCategory.set(event.item_id, event.category);
      decls.forEach((decl, k) => {
        if (!changes(decl, event)) return;
        const id = entityId(decl, event);
        const map = times[k] as Map<string, number[]>;
        const list = map.get(id);
        if (!list) map.set(id, [event.event_time]);
        else if ((list[list.length - 1] as number) <= event.event_time) list.push(event.event_time);
        else list.splice(lowerBound(list, event.event_time + 1), 0, event.event_time);
      });
    },
    /** The request's candidates' probes and vectors, in candidate order, as of its stream position. */
    request(request: RecommendationRequest): { position: number; probe: CandidateProbe; values: number[] }[] {
      return request.candidate_item_ids.map((item, position) => {
        const probe = candidateProbe(request, position, lastCategory.get(item) ?? UNSEEN_CATEGORY);
        return { position, probe, values: vector(probe) };
      });
    },
  };
}

/** One training row: a candidate of a request, its label and its vector. */
export interface CandidateRow {
  request_id: string;
  event_time: number;
  user_id: string;
  item_id: string;
  position: number;
  /** The user clicked the candidate in the session the request opened. */
  clicked: boolean;
  /** ... and bought it (a PURCHASE label attributed to the request). */
  purchased: boolean;
  values: number[];
}

/**
 * The training rows of a simulated stream: one per candidate of every request (in request order,
 * candidates in their order), labelled from the request's `clicked` and the PURCHASE labels
 * attributed to it.
 */
export function candidateRows(set: FeatureSet, events: Iterable<RecsysEvent>): CandidateRow[] {
  const vectors = candidateVectors(set);
  const rows: CandidateRow[] = [];
  const purchases = new Set<string>();
  for (const e of events) {
    if (e.kind === 'interaction') vectors.interaction(e.value);
    else if (e.kind === 'label') {
      if (e.value.outcome === 'PURCHASE') purchases.add(`${e.value.recommendation_id}|${e.value.item_id}`);
    } else {
      const clicked = new Set(e.clicked);
      for (const { position, probe, values } of vectors.request(e.value)) {
        rows.push({
          request_id: e.value.request_id,
          event_time: e.value.event_time,
          user_id: e.value.user_id,
          item_id: probe.item_id,
          position,
          clicked: clicked.has(probe.item_id),
          purchased: false,
          values,
        });
      }
    }
  }
  for (const row of rows) row.purchased = purchases.has(`${row.request_id}|${row.item_id}`);
  return rows;
}
