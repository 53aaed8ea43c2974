import {
  advanceWatermark,
  type FieldEvent,
  itemOf,
  lookedUpOf,
  type RequestDecl,
  requestProbes,
  type Watermark,
  watermarkTime,
} from '@pipeline/feature-sets';
import type { RedisClient as Redis } from '@pipeline/shared';
import type { CandidateVector, EnrichedRequest, RecommendationRequest } from '@pipeline/topology';
import { applyEvents, type DeclaredEngine } from './declared.js';
import type { Outcome } from './engine.js';
import { BadInputError } from './errors.js';
import { itemLookupKey, requestLookupKey } from './keys.js';
import { checkTime } from './validate.js';

/**
 * Requests that list candidates, served by a feature set that declares `requests`: each
 * candidate's vector is its read-only probe's (requestProbes in @pipeline/feature-sets, the same
 * function the brute-force reference uses), applied by the declared engine like any event that
 * changes nothing. The looked-up fields (e.g. the item's category) come from the item's latest
 * event, kept in Redis as events are applied; the ones a request got are kept under its id, so a
 * redelivered request gets the same probes and, from the script, the same vectors (recorded for
 * the plan's probe retention).
 */

export interface RequestEngine {
  declared: DeclaredEngine;
  /** The request stream's contract check (e.g. requestProblem): why a request is refused, or undefined. */
  problem: (request: RecommendationRequest) => string | undefined;
  /** Most candidates a request may list (each is one probe per entity). */
  maxCandidates: number;
}

export function requestDecl(engine: RequestEngine): RequestDecl {
  const decl = engine.declared.set.requests;
  if (!decl) throw new Error(`feature set ${engine.declared.set.name} declares no requests`);
  return decl;
}

const candidatesOf = (decl: RequestDecl, r: RecommendationRequest) =>
  (r as unknown as Record<string, unknown>)[decl.candidates] as readonly string[];
const field = (r: RecommendationRequest, name: string) => (r as unknown as Record<string, unknown>)[name];
const idOf = (decl: RequestDecl, r: RecommendationRequest) => String(field(r, decl.id));

/**
 * Checks a partition's batch of requests: the contract, candidates listed (a candidate source
 * alone is not served), at most maxCandidates, the future and lateness against the partition's
 * watermark. Per accepted request, the watermark time just after it. (Its users' interactions
 * are merged with it in event-time order, so their state has not folded past it.)
 */
export function checkRequests(
  engine: RequestEngine,
  requests: readonly RecommendationRequest[],
  watermark: Watermark,
  now: number,
) {
  const decl = requestDecl(engine);
  const { rules } = engine.declared;
  const refused: (Error | undefined)[] = new Array(requests.length);
  const accepted: number[] = [];
  const horizons: number[] = [];
  requests.forEach((r, i) => {
    const n = candidatesOf(decl, r)?.length ?? 0;
    const problem =
      engine.problem(r) ??
      (n === 0
        ? `${decl.source ?? 'a candidate source'} ${JSON.stringify(decl.source ? field(r, decl.source) : null)} is not served: the feature service enriches listed ${decl.candidates} only`
        : undefined) ??
      (n > engine.maxCandidates
        ? `${n} candidates, more than FEATURES_MAX_CANDIDATES (${engine.maxCandidates})`
        : undefined);
    const error = problem
      ? new BadInputError(problem)
      : checkTime('event_time', r.event_time, watermarkTime(watermark, rules.watermarkRank), now, rules);
    if (error) {
      refused[i] = error;
      return;
    }
    watermark = advanceWatermark(watermark, r.event_time);
    const t = watermarkTime(watermark, rules.watermarkRank);
    accepted.push(i);
    horizons.push(Number.isFinite(t) ? t : 0);
  });
  return { refused, accepted, horizons, watermark };
}

/**
 * The writes that keep each item's looked-up fields as of its latest applied event (the last of
 * the batch per item), expiring like entity state. Issued in the round trip that applies them.
 */
export function lookupWrites(redis: Redis, engine: RequestEngine, events: readonly FieldEvent[]): Promise<unknown>[] {
  const decl = requestDecl(engine);
  const latest = new Map<string, string[]>();
  for (const event of events) latest.set(itemOf(decl, event), lookedUpOf(decl, event));
  const { prefix, plan } = engine.declared;
  return [...latest].map(([item, values]) =>
    redis.set(itemLookupKey(prefix, item), JSON.stringify(values), 'PX', plan.keyTtlMs),
  );
}

/** An accepted record of a round: an event (applied) or a request (its candidates probed), with its partition's horizon. */
export type RoundItem =
  | { kind: 'event'; event: FieldEvent; horizon: number }
  | { kind: 'request'; request: RecommendationRequest; horizon: number };

/**
 * Applies a round of events and requests in the order given (the event-time merge of their
 * partitions): every event changes the entities it feeds, every request's candidates are probed as
 * of its event time, in one script call per entity id (one pipeline). A candidate's looked-up fields
 * are those of its item's latest event before the request: from Redis as the round starts, then
 * from the round's own events before it. Per item, its event's vector or its enriched request, or
 * why it is refused (an expired duplicate). Two round trips: the lookups, then the scripts with the
 * lookups' writes.
 */
export async function applyRound(
  redis: Redis,
  engine: RequestEngine,
  items: readonly RoundItem[],
  now: number,
): Promise<Outcome<number[] | EnrichedRequest>[]> {
  if (items.length === 0) return [];
  const decl = requestDecl(engine);
  const { prefix, plan, set } = engine.declared;
  const requests = items.flatMap((item) => (item.kind === 'request' ? [item.request] : []));
  // What each request got the first time (a redelivery), and every candidate item's lookup.
  const candidateItems = [...new Set(requests.flatMap((r) => candidatesOf(decl, r)))];
  const [stored, found] = await Promise.all([
    Promise.all(requests.map((r) => redis.get(requestLookupKey(prefix, idOf(decl, r))))),
    Promise.all(candidateItems.map((item) => redis.get(itemLookupKey(prefix, item)))),
  ]);
  const lookups = new Map(candidateItems.map((item, k) => [item, parseLookup(found[k] ?? null)]));
  const applied: FieldEvent[] = [];
  const horizons: number[] = [];
  const firsts: Promise<unknown>[] = [];
  const events: FieldEvent[] = [];
  let r = 0;
  // per item of the round: where its events sit in `applied`
  const spans = items.map((item) => {
    const at = applied.length;
    if (item.kind === 'event') {
      lookups.set(itemOf(decl, item.event), lookedUpOf(decl, item.event));
      events.push(item.event);
      applied.push(item.event);
      horizons.push(item.horizon);
      return { at, n: 1 };
    }
    const request = item.request;
    const candidates = candidatesOf(decl, request);
    const before = parseStored(stored[r++] ?? null, candidates.length);
    const got = candidates.map((c, k) => (before ? before[k] : lookups.get(c)) ?? null);
    if (!before) {
      // the first resolution wins: a redelivery, or another member during a rebalance, reads it
      // (for as long as the probes' records are kept: after them, the request is served anew)
      const key = requestLookupKey(prefix, idOf(decl, request));
      firsts.push(redis.set(key, JSON.stringify(got), 'PX', plan.probeRetentionMs, 'NX'));
    }
    const own = requestProbes(decl, request, (_, k) => got[k] ?? undefined);
    applied.push(...own);
    for (const _ of own) horizons.push(item.horizon);
    return { at, n: own.length };
  });
  const [outcomes] = await Promise.all([
    applyEvents(redis, engine.declared, applied, horizons),
    Promise.all(lookupWrites(redis, engine, events)),
    Promise.all(firsts),
  ]);
  return items.map((item, i): Outcome<number[] | EnrichedRequest> => {
    const { at, n } = spans[i] as { at: number; n: number };
    if (item.kind === 'event') return outcomes[at] as Outcome<number[]>;
    const results = outcomes.slice(at, at + n);
    const failed = results.find((o) => !o.ok);
    if (failed && !failed.ok) return { ok: false, error: failed.error };
    const candidates = applied.slice(at, at + n).map((probe, k) => {
      const fields = probe as unknown as Record<string, unknown>;
      const vector: Record<string, unknown> = { [decl.item]: fields[decl.item] };
      for (const l of decl.lookedUp) vector[l.field] = fields[l.field];
      vector.values = (results[k] as { ok: true; value: number[] }).value;
      return vector as unknown as CandidateVector;
    });
    return {
      ok: true,
      value: {
        request: item.request,
        features: { feature_set: set.name, version: set.version, candidates },
        computed_at: now,
      },
    };
  });
}

function parseLookup(raw: string | null): string[] | null {
  return raw === null ? null : (JSON.parse(raw) as string[]);
}

/** A request's stored lookups, if they are for as many candidates (else, as if none were stored). */
function parseStored(raw: string | null, n: number): (string[] | null)[] | undefined {
  if (raw === null) return undefined;
  const parsed = JSON.parse(raw) as (string[] | null)[];
  return Array.isArray(parsed) && parsed.length === n ? parsed : undefined;
}
