import type { CandidateSource, FeatureSet, RequestDecl } from './dsl.js';
import { computeEventReference, type FieldEvent } from './reference-events.js';

/** An ordered stream of a set's events and requests (the simulator's kinds; labels left out). */
export type RequestStreamItem = { kind: 'interaction'; value: FieldEvent } | { kind: 'request'; value: object };

/** One request's candidates: the probe event of each (in the request's order, or its source's) and its vector. */
export interface RequestVectors {
  requestId: string;
  probes: FieldEvent[];
  vectors: number[][];
}

const read = (value: object, name: string): unknown => (value as Record<string, unknown>)[name];

/** The looked-up fields of an event, in `decl.lookedUp` order: what a later probe of its item carries. */
export function lookedUpOf(decl: RequestDecl, event: FieldEvent): string[] {
  return decl.lookedUp.map((l) => String(read(event, l.field)));
}

/** The item an event is about (the field a candidate fills). */
export function itemOf(decl: RequestDecl, event: FieldEvent): string {
  return String(read(event, decl.item));
}

/**
 * The probe events of a request, one per candidate in its order: `lookup(item, k)` gives the k-th
 * candidate's looked-up fields from its item's latest event before the request, or undefined for
 * an item never seen.
 * The same function builds them online and here.
 */
export function requestProbes(
  decl: RequestDecl,
  request: object,
  lookup: (item: string, k: number) => readonly string[] | undefined,
  candidates: readonly string[] = read(request, decl.candidates) as readonly string[],
  idOf: (item: string, k: number) => string = (_, k) => `${String(read(request, decl.id))},${k}`,
): FieldEvent[] {
  const eventTime = read(request, 'event_time') as number;
  return candidates.map((item, k) => {
    const found = lookup(item, k);
    const probe: Record<string, unknown> = { event_id: idOf(item, k), event_time: eventTime };
    for (const field of decl.copied) probe[field] = read(request, field);
    probe[decl.item] = item;
    decl.lookedUp.forEach((l, j) => {
      probe[l.field] = found ? found[j] : l.unknown;
    });
    probe[decl.probe.field] = decl.probe.value;
    return probe as unknown as FieldEvent;
  });
}

/** The candidate source a request names instead of listing candidates, or undefined: it lists them. */
export function sourceOf(decl: RequestDecl, request: object): { name: string; source?: CandidateSource } | undefined {
  const listed = read(request, decl.candidates) as readonly string[] | undefined;
  if ((listed?.length ?? 0) > 0 || !decl.source) return undefined;
  const name = String(read(request, decl.source));
  return { name, ...(Object.hasOwn(decl.sources ?? {}, name) ? { source: decl.sources?.[name] } : {}) };
}

/** A selection probe's event id: `<request id>,<source>,<item>` (two commas: never a candidate's). */
export const selectionProbeId = (decl: RequestDecl, request: object, source: string) => (item: string) =>
  `${String(read(request, decl.id))},${source},${item}`;

/**
 * A source's candidates from the exact values of its `rankBy` features for items (vectors of `set`
 * as of the request): the `top` by their sum, highest first, ties by item id, sums of 0 left out.
 * The same function picks them online and here.
 */
export function rankSource(
  set: FeatureSet,
  source: CandidateSource,
  items: readonly { item: string; values: readonly number[] }[],
): { item: string; score: number }[] {
  const at = source.rankBy.map((name) => set.index(name));
  return items
    .map(({ item, values }) => ({ item, score: at.reduce((sum, i) => sum + (values[i] as number), 0) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0))
    .slice(0, source.top);
}

/**
 * The order the feature service applies the records of several partitions in (its event-time
 * merge): each record at its partition's latest event time so far (its own time while the
 * partition is in event-time order; an out-of-order record keeps its place in its partition), the
 * earliest first; at one time, the partition listed first. Each partition's records keep their order.
 * The service lists a partition's events before its requests, partitions in number order.
 */
export function mergeByEventTime<T>(partitions: readonly (readonly T[])[], timeOf: (item: T) => number): T[] {
  const keyed = partitions.map((items) => {
    let latest = Number.NEGATIVE_INFINITY;
    return items.map((item) => {
      latest = Math.max(latest, timeOf(item));
      return { item, key: latest };
    });
  });
  const heads = keyed.map(() => 0);
  const out: T[] = [];
  for (;;) {
    let best = -1;
    let first: { item: T; key: number } | undefined;
    keyed.forEach((list, p) => {
      const head = list[heads[p] as number];
      if (head && (first === undefined || head.key < first.key)) {
        best = p;
        first = head;
      }
    });
    if (first === undefined) return out;
    out.push(first.item);
    heads[best] = (heads[best] as number) + 1;
  }
}

/**
 * Brute-force candidate vectors of every request of the stream, by definition: a candidate's
 * vector is `computeEventReference`'s for its read-only probe (`requestProbes`), inserted into the
 * event stream at the request's position, its looked-up fields from the latest event with the item
 * before the request. A request naming a candidate source instead gets the source's candidates
 * (`rankSource` over every item seen before it, each read by a probe at the request's position).
 * The stream is in the order the service applies it: for several partitions, `mergeByEventTime`
 * of them. A repeated request gets its first candidates and vectors (probe ids repeat). The set
 * must declare `requests`; a source it does not declare throws.
 */
export function computeRequestReference(set: FeatureSet, stream: readonly RequestStreamItem[]): RequestVectors[] {
  const decl = set.requests;
  if (!decl) throw new Error(`feature set ${set.name} declares no requests`);
  const generated = sourceCandidates(set, decl, stream);
  const latest = new Map<string, string[]>();
  const events: FieldEvent[] = [];
  const requests: { requestId: string; probes: FieldEvent[]; at: number }[] = [];
  for (const item of stream) {
    if (item.kind === 'interaction') {
      events.push(item.value);
      latest.set(itemOf(decl, item.value), lookedUpOf(decl, item.value));
      continue;
    }
    const requestId = String(read(item.value, decl.id));
    const candidates = sourceOf(decl, item.value) ? generated.get(requestId) : undefined;
    const probes = requestProbes(decl, item.value, (id) => latest.get(id), candidates);
    requests.push({ requestId, probes, at: events.length });
    events.push(...probes);
  }
  const vectors = computeEventReference(set, events);
  return requests.map((r) => ({
    requestId: r.requestId,
    probes: r.probes,
    vectors: vectors.slice(r.at, r.at + r.probes.length),
  }));
}

/**
 * The candidates of each request naming a source, at its first occurrence: `rankSource` over every
 * item seen before it, each read by a selection probe inserted at the request's position (probes
 * only read, so all of them go in one stream).
 */
function sourceCandidates(
  set: FeatureSet,
  decl: RequestDecl,
  stream: readonly RequestStreamItem[],
): Map<string, string[]> {
  const latest = new Map<string, string[]>();
  const events: FieldEvent[] = [];
  const selections: { requestId: string; source: CandidateSource; seen: string[]; at: number }[] = [];
  for (const item of stream) {
    if (item.kind === 'interaction') {
      events.push(item.value);
      latest.set(itemOf(decl, item.value), lookedUpOf(decl, item.value));
      continue;
    }
    const named = sourceOf(decl, item.value);
    const requestId = String(read(item.value, decl.id));
    if (!named || selections.some((s) => s.requestId === requestId)) continue;
    const { source } = named;
    if (!source) throw new Error(`request ${requestId}: candidate source '${named.name}' is not declared`);
    const seen = [...latest.keys()];
    selections.push({ requestId, source, seen, at: events.length });
    const probeId = selectionProbeId(decl, item.value, named.name);
    events.push(...requestProbes(decl, item.value, (id) => latest.get(id), seen, probeId));
  }
  const out = new Map<string, string[]>();
  if (selections.length === 0) return out;
  const values = computeEventReference(set, events);
  for (const s of selections) {
    const items = s.seen.map((item, k) => ({ item, values: values[s.at + k] as number[] }));
    out.set(
      s.requestId,
      rankSource(set, s.source, items).map((r) => r.item),
    );
  }
  return out;
}
