import type { FeatureSet, RequestDecl } from './dsl.js';
import { computeEventReference, type FieldEvent } from './reference-events.js';

/** An ordered stream of a set's events and requests (the simulator's kinds; labels left out). */
export type RequestStreamItem = { kind: 'interaction'; value: FieldEvent } | { kind: 'request'; value: object };

/** One request's candidates: the probe event of each (in the request's order) and its vector. */
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
): FieldEvent[] {
  const id = String(read(request, decl.id));
  const eventTime = read(request, 'event_time') as number;
  const candidates = read(request, decl.candidates) as readonly string[];
  return candidates.map((item, k) => {
    const found = lookup(item, k);
    const probe: Record<string, unknown> = { event_id: `${id},${k}`, event_time: eventTime };
    for (const field of decl.copied) probe[field] = read(request, field);
    probe[decl.item] = item;
    decl.lookedUp.forEach((l, j) => {
      probe[l.field] = found ? found[j] : l.unknown;
    });
    probe[decl.probe.field] = decl.probe.value;
    return probe as unknown as FieldEvent;
  });
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
 * before the request. The stream is in the order the service applies it: for several partitions,
 * `mergeByEventTime` of them. A repeated request gets its first vectors (probe ids
 * repeat). The set must declare `requests`.
 */
export function computeRequestReference(set: FeatureSet, stream: readonly RequestStreamItem[]): RequestVectors[] {
  const decl = set.requests;
  if (!decl) throw new Error(`feature set ${set.name} declares no requests`);
  const latest = new Map<string, string[]>();
  const events: FieldEvent[] = [];
  const requests: { requestId: string; probes: FieldEvent[]; at: number }[] = [];
  for (const item of stream) {
    if (item.kind === 'interaction') {
      events.push(item.value);
      latest.set(itemOf(decl, item.value), lookedUpOf(decl, item.value));
      continue;
    }
    const probes = requestProbes(decl, item.value, (id) => latest.get(id));
    requests.push({ requestId: String(read(item.value, decl.id)), probes, at: events.length });
    events.push(...probes);
  }
  const vectors = computeEventReference(set, events);
  return requests.map((r) => ({
    requestId: r.requestId,
    probes: r.probes,
    vectors: vectors.slice(r.at, r.at + r.probes.length),
  }));
}
