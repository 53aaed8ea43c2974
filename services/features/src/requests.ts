import { decode, encode } from '@msgpack/msgpack';
import {
  advanceWatermark,
  type CandidateSource,
  changes,
  type FeatureDef,
  type FeatureSet,
  type FieldEvent,
  featureSet,
  itemOf,
  lookedUpOf,
  type RequestDecl,
  rankSource,
  requestProbes,
  selectionProbeId,
  sourceOf,
  type Watermark,
  WINDOWS,
  watermarkTime,
} from '@pipeline/feature-sets';
import { getMany, getManyBuffers, type RedisClient as Redis } from '@pipeline/shared';
import type { CandidateVector, EnrichedRequest, RecommendationRequest } from '@pipeline/topology';
import { applyDeclared, type DeclaredEngine, type EventRole } from './declared.js';
import type { Outcome } from './engine.js';
import { BadInputError } from './errors.js';
import { itemLookupKey, requestCandidatesKey, requestVectorsKey, sourceIndexKey } from './keys.js';
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
const served = (decl: RequestDecl) =>
  [...Object.keys(decl.sources ?? {}).map((name) => `${decl.source} ${name}`), `listed ${decl.candidates}`].join(', ');

/**
 * Checks a partition's batch of requests: the contract, candidates listed or a declared candidate
 * source named (another source is refused), at most maxCandidates (a source's `top`), the future
 * and lateness against the partition's watermark. Per accepted request, the watermark time just
 * after it. (Its users' interactions are merged with it in event-time order, so their state has
 * not folded past it.)
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
    const named = sourceOf(decl, r);
    const n = named?.source ? named.source.top : (candidatesOf(decl, r)?.length ?? 0);
    const problem =
      engine.problem(r) ??
      (named && !named.source
        ? `${decl.source} ${JSON.stringify(named.name)} is not served: the feature set serves ${served(decl)}`
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

/** The declared candidate sources, each with the window its counts use and a set of its ranking features alone. */
interface ServedSource {
  name: string;
  source: CandidateSource;
  granularityMs: number;
  windowMs: number;
  /** The set of the source's `rankBy` features alone: what a selection probe reads. */
  ranking: FeatureSet;
}

const sourcesCache = new WeakMap<FeatureSet, ServedSource[]>();
function servedSources(set: FeatureSet): ServedSource[] {
  const cached = sourcesCache.get(set);
  if (cached) return cached;
  const out = Object.entries(set.requests?.sources ?? {}).map(([name, source]) => {
    const features = source.rankBy.map((n) => set.features[set.index(n)] as FeatureDef);
    const first = features[0] as FeatureDef & { kind: 'window' };
    const { ms, granularityMs } = WINDOWS[first.window];
    const ranking = featureSet({ name: set.name, version: set.version, features: features.map((f) => [f]) });
    return { name, source, granularityMs, windowMs: ms, ranking };
  });
  sourcesCache.set(set, out);
  return out;
}

/**
 * The writes that keep each candidate source's index up to date with applied events: per bucket
 * of event time, each item's events of the source's ranking entities. Issued in the round trip
 * that applies them.
 */
export function sourceIndexWrites(
  redis: Redis,
  engine: RequestEngine,
  events: readonly FieldEvent[],
): Promise<unknown>[] {
  const { prefix, plan, set } = engine.declared;
  const decl = requestDecl(engine);
  const writes: Promise<unknown>[] = [];
  for (const s of servedSources(set)) {
    const increments = new Map<string, Map<string, number>>();
    for (const event of events) {
      const n = s.ranking.entities.filter((d) => changes(d, event)).length;
      if (n === 0) continue;
      const key = sourceIndexKey(prefix, s.name, Math.floor(event.event_time / s.granularityMs) * s.granularityMs);
      const items = increments.get(key) ?? new Map<string, number>();
      const item = itemOf(decl, event);
      items.set(item, (items.get(item) ?? 0) + n);
      increments.set(key, items);
    }
    for (const [key, items] of increments) {
      for (const [item, n] of items) writes.push(redis.zincrby(key, n, item));
      writes.push(redis.pexpire(key, plan.keyTtlMs));
    }
  }
  return writes;
}

/**
 * A source's candidates as of a request, exact as its ranking features are: the index's items
 * ordered by their upper bounds, read exactly (selection probes, only the ranking entities) in
 * growing prefixes until no item left unread could reach the `top`-th exact sum.
 */
async function selectCandidates(
  redis: Redis,
  engine: RequestEngine,
  s: ServedSource,
  request: RecommendationRequest,
  horizon: number,
): Promise<string[]> {
  const decl = requestDecl(engine);
  const { prefix } = engine.declared;
  const t = request.event_time;
  const last = Math.floor(t / s.granularityMs) * s.granularityMs;
  const keys: string[] = [];
  for (let b = last - s.windowMs; b <= last; b += s.granularityMs) keys.push(sourceIndexKey(prefix, s.name, b));
  const flat = (await redis.zunion(keys.length, ...keys, 'AGGREGATE', 'SUM', 'WITHSCORES')) as string[];
  const bounds: { item: string; bound: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) bounds.push({ item: flat[i] as string, bound: Number(flat[i + 1]) });
  bounds.sort((a, b) => b.bound - a.bound || (a.item < b.item ? -1 : 1));
  const reader = { ...engine.declared, set: s.ranking };
  const exact: { item: string; values: number[] }[] = [];
  let probed = 0;
  let chosen: { item: string; score: number }[] = [];
  let size = 2 * s.source.top;
  while (probed < bounds.length) {
    const next = bounds.slice(probed, size).map((b) => b.item);
    const probes = requestProbes(decl, request, () => undefined, next, selectionProbeId(decl, request, s.name));
    // not recorded: the list selected is kept under the request's id
    const outcomes = await applyDeclared(
      redis,
      reader,
      probes,
      probes.map(() => horizon),
      () => 'probe',
    );
    outcomes.forEach((o, k) => {
      if (!o.ok) throw o.error;
      exact.push({ item: next[k] as string, values: o.value as number[] });
    });
    probed += next.length;
    chosen = rankSource(s.ranking, s.source, exact);
    const cut = chosen.length === s.source.top ? (chosen.at(-1)?.score ?? 0) : 0;
    const rest = bounds[probed];
    if (!rest || rest.bound < cut) break;
    size = 2 * probed;
  }
  return chosen.map((c) => c.item);
}

/**
 * A request naming a declared source as a copy listing the source's candidates: the ones stored
 * the first time if any (a redelivery gets the same list), else selected from the state as it
 * stands (applyRound calls it at the request's place in the merge); or why it cannot be served.
 * The list is kept twice the probe retention: its lookups and probe records are written after it
 * (and a probe bucket's expiry is refreshed by later records), so a list kept only as long could
 * expire first and a redelivery would select another list against the old lookups, matched by
 * count alone. Past them, a redelivery gets the same candidates with vectors anew.
 */
async function resolveSource(
  redis: Redis,
  engine: RequestEngine,
  r: RecommendationRequest,
  name: string,
  horizon: number,
): Promise<RecommendationRequest | Error> {
  const decl = requestDecl(engine);
  const { prefix, plan, set } = engine.declared;
  const s = servedSources(set).find((x) => x.name === name);
  if (!s) return new BadInputError(`${decl.source} ${JSON.stringify(name)} is not served`);
  const key = requestCandidatesKey(prefix, idOf(decl, r));
  const stored = await redis.get(key);
  let items = stored === null ? undefined : (JSON.parse(stored) as string[]);
  if (!items) {
    const selected = await selectCandidates(redis, engine, s, r, horizon);
    if (selected.length === 0) {
      return new BadInputError(
        `${decl.source} ${s.name} has no candidates as of ${new Date(r.event_time).toISOString()}: no item counted in its window`,
      );
    }
    // the first resolution wins: a redelivery, or another member during a rebalance, reads it
    const first = await redis.set(key, JSON.stringify(selected), 'PX', 2 * plan.probeRetentionMs, 'NX');
    items = first === null ? (JSON.parse((await redis.get(key)) ?? '[]') as string[]) : selected;
  }
  return { ...r, [decl.candidates]: items } as RecommendationRequest;
}

/** An accepted record of a round: an event (applied) or a request (its candidates probed), with its partition's horizon. */
export type RoundItem =
  | { kind: 'event'; event: FieldEvent; horizon: number }
  | { kind: 'request'; request: RecommendationRequest; horizon: number };

/**
 * Applies a round of events and requests in the order given (the event-time merge of their
 * partitions; see applyListed). A request naming a candidate source splits the round: the items
 * before it are applied first, then its candidates are selected from that state (as of its place
 * in the merge, exact across partitions) and it goes on as a request listing them.
 */
export async function applyRound(
  redis: Redis,
  engine: RequestEngine,
  items: readonly RoundItem[],
  now: number,
): Promise<Outcome<EnrichedRequest | null>[]> {
  const decl = requestDecl(engine);
  const out: Outcome<EnrichedRequest | null>[] = [];
  let pending: RoundItem[] = [];
  for (const item of items) {
    const named = item.kind === 'request' ? sourceOf(decl, item.request) : undefined;
    if (item.kind !== 'request' || !named) {
      pending.push(item);
      continue;
    }
    out.push(...(await applyListed(redis, engine, pending, now)));
    pending = [];
    const resolved = await resolveSource(redis, engine, item.request, named.name, item.horizon);
    if (resolved instanceof Error) out.push({ ok: false, error: resolved });
    else pending.push({ ...item, request: resolved });
  }
  out.push(...(await applyListed(redis, engine, pending, now)));
  return out;
}

/**
 * Applies a round of events and requests listing their candidates, in the order given: every event
 * changes the entities it feeds, every request's candidates are probed as of its event time, in
 * one part of a script call per entity id (applyDeclared). A candidate's looked-up fields are those
 * of its item's latest event before the request: from Redis as the round starts, then from the
 * round's own events before it. A request's vectors are kept under its id (first write wins) for
 * the plan's probe retention: a redelivery, or another member during a rebalance, gets them back
 * instead of reading the state again. Per item, its event's outcome or its enriched request, or why
 * it is refused (an expired duplicate). Three round trips: the lookups and kept vectors, the
 * scripts with the lookups' writes, then the new requests' vectors kept.
 */
async function applyListed(
  redis: Redis,
  engine: RequestEngine,
  items: readonly RoundItem[],
  now: number,
): Promise<Outcome<EnrichedRequest | null>[]> {
  if (items.length === 0) return [];
  const decl = requestDecl(engine);
  const { prefix, plan, set } = engine.declared;
  const requests = items.flatMap((item) => (item.kind === 'request' ? [item.request] : []));
  // What each request got the first time (a redelivery), and every candidate item's lookup.
  const candidateItems = [...new Set(requests.flatMap((r) => candidatesOf(decl, r)))];
  const [kept, found] = await Promise.all([
    getManyBuffers(
      redis,
      requests.map((r) => requestVectorsKey(prefix, idOf(decl, r))),
    ),
    getMany(
      redis,
      candidateItems.map((item) => itemLookupKey(prefix, item)),
    ),
  ]);
  const lookups = new Map(candidateItems.map((item, k) => [item, parseLookup(found[k] ?? null)]));
  const applied: FieldEvent[] = [];
  const horizons: number[] = [];
  const roles: EventRole[] = [];
  const events: FieldEvent[] = [];
  let r = 0;
  // per item of the round: where its events sit in `applied`, or the vectors kept for its request
  const spans = items.map((item) => {
    const at = applied.length;
    if (item.kind === 'event') {
      lookups.set(itemOf(decl, item.event), lookedUpOf(decl, item.event));
      events.push(item.event);
      applied.push(item.event);
      horizons.push(item.horizon);
      roles.push('apply');
      return { at, n: 1 };
    }
    const request = item.request;
    const candidates = candidatesOf(decl, request);
    const before = parseKept(decl, kept[r++] ?? null, candidates.length);
    if (before) return { at, n: 0, before };
    const own = requestProbes(decl, request, (c) => lookups.get(c) ?? undefined);
    for (const probe of own) {
      applied.push(probe);
      horizons.push(item.horizon);
      roles.push('probe');
    }
    return { at, n: own.length };
  });
  const [outcomes] = await Promise.all([
    applyDeclared(redis, engine.declared, applied, horizons, (i) => roles[i] as EventRole),
    Promise.all([...lookupWrites(redis, engine, events), ...sourceIndexWrites(redis, engine, events)]),
  ]);
  const results = items.map((item, i): Outcome<EnrichedRequest | null> => {
    const { at, n, before } = spans[i] as { at: number; n: number; before?: CandidateVector[] };
    if (item.kind === 'event') return outcomes[at] as Outcome<null>;
    const enriched = (candidates: CandidateVector[]): EnrichedRequest => ({
      request: item.request,
      features: { feature_set: set.name, version: set.version, candidates },
      computed_at: now,
    });
    if (before) return { ok: true, value: enriched(before) };
    const probed = outcomes.slice(at, at + n);
    const failed = probed.find((o) => !o.ok);
    if (failed && !failed.ok) return { ok: false, error: failed.error };
    const candidates = applied.slice(at, at + n).map((probe, k) => {
      const fields = probe as unknown as Record<string, unknown>;
      const vector: Record<string, unknown> = { [decl.item]: fields[decl.item] };
      for (const l of decl.lookedUp) vector[l.field] = fields[l.field];
      vector.values = (probed[k] as { ok: true; value: number[] }).value;
      return vector as unknown as CandidateVector;
    });
    return { ok: true, value: enriched(candidates) };
  });
  // the first write wins: a request another member kept first is answered with its vectors
  const fresh = results.flatMap((o, i) => {
    const span = spans[i] as { before?: CandidateVector[] };
    return o.ok && items[i]?.kind === 'request' && !span.before ? [i] : [];
  });
  const writes = await Promise.all(
    fresh.map((i) => {
      const enriched = (results[i] as { ok: true; value: EnrichedRequest }).value;
      const key = requestVectorsKey(prefix, idOf(decl, enriched.request));
      return redis.setBuffer(key, keptOf(decl, enriched.features.candidates), 'PX', plan.probeRetentionMs, 'NX', 'GET');
    }),
  );
  fresh.forEach((i, k) => {
    const enriched = (results[i] as { ok: true; value: EnrichedRequest }).value;
    const other = parseKept(decl, writes[k] ?? null, enriched.features.candidates.length);
    if (other) enriched.features.candidates = other;
  });
  return results;
}

/** A request's vectors as kept: per candidate its item, looked-up fields and values (msgpack: NaN as it is). */
function keptOf(decl: RequestDecl, candidates: readonly CandidateVector[]): Buffer {
  const bytes = encode(
    candidates.map((c) => {
      const fields = c as unknown as Record<string, unknown>;
      return [fields[decl.item], decl.lookedUp.map((l) => fields[l.field]), c.values];
    }),
  );
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A request's kept vectors, if they are for as many candidates (else, as if none were kept). */
function parseKept(decl: RequestDecl, raw: Buffer | null, n: number): CandidateVector[] | undefined {
  if (raw === null) return undefined;
  const parsed = decode(raw) as [string, string[], number[]][];
  if (!Array.isArray(parsed) || parsed.length !== n) return undefined;
  return parsed.map(([item, looked, values]) => {
    const vector: Record<string, unknown> = { [decl.item]: item };
    decl.lookedUp.forEach((l, j) => {
      vector[l.field] = looked[j];
    });
    vector.values = values;
    return vector as unknown as CandidateVector;
  });
}

function parseLookup(raw: string | null): string[] | null {
  return raw === null ? null : (JSON.parse(raw) as string[]);
}
