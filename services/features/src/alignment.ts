/**
 * Orders one topic's records across its partitions by event time before they are applied.
 * Transactions are keyed by customer, so a terminal's events come through every partition; applied
 * in the order fetches happened to deliver them, a terminal event could be computed before an
 * earlier one from a partition read later (an undercount that depends on arrival order).
 *
 * Kafka Streams' rule for tasks with several input partitions: a record goes once every other
 * partition either has a record buffered that is no earlier, or has nothing more on the broker
 * (caught up at its last fetch). A partition behind its high watermark with nothing buffered holds
 * the others back (its next fetch is on the way), for at most `maxWaitMs`; then it is passed over
 * until it delivers again. Live traffic keeps every partition caught up, so a record waits at most for the next fetch.
 *
 * With `confirmCaughtUp`, a partition found caught up stops holding a record back only once a fetch
 * made after the record's own confirms it: a broker answers a fetch partition by partition, so a
 * record published earlier on another partition may have been missed by the very fetch that
 * brought this one (exact when producers publish in event-time order; costs about one fetch).
 *
 * Within a partition, records keep their offset order; a partition's records are assumed to come
 * in event-time order (what comes next from it is no earlier than its last record: a caller whose
 * partitions are not gives each record its partition's latest time so far). Records of one time go
 * by partition, lowest first, whichever arrived first.
 *
 * Several members of the group split the partitions; each publishes where its partitions stand
 * (`states`, after every round is applied) and holds its records back for the others' partitions
 * too (`remote`, see frontier.ts), by the same rule: a remote partition's published bound (its next
 * record, or its last one), or a fetch that found it caught up and started after this record's
 * fetch had returned (then everything published before this record had landed, and was read). A
 * published state speaks of what has been applied, so it stays true when the partition moves to
 * another member. A member that is gone is not passed over but replaced: the group rebalances once
 * its session times out, and at every rebalance each member drops what it buffered (`clear`,
 * `assigned`): after the new assignment every partition is consumed again from its last commit, so
 * nothing is applied ahead of a partition that has no owner. `memberWaitMs` only bounds the wait
 * for a member that is alive and stuck.
 */

export interface Aligned {
  /** Event time (ms). */
  time: number;
}

/** Where one partition stood at a fetch (see the consumer's onFetch). */
export interface FetchedLane {
  partition: number;
  highWatermark: bigint;
  /** Offset after what the fetch returned for it. */
  nextOffset: bigint;
  /** A batch follows (pushed once handled). */
  delivered: boolean;
}

/** Where a partition stands, as its member publishes it for the others. */
export interface LaneState {
  partition: number;
  /** No record earlier than this is still to be applied from it (its next record, or its last). */
  bound: number;
  /** Wall time (ms) a fetch started that found it caught up, nothing buffered; 0 when it is not. */
  caughtUpAt: number;
}

export interface Taken<T> {
  /** Records that can be applied now, in event-time order (partition order kept). */
  items: T[];
  /** Partitions passed over after holding the others back for `maxWaitMs`. */
  passedOver: number;
  /** Still blocked: when to take again, so that a waiting partition is passed over in time. */
  retryAt?: number;
}

interface Lane<T> {
  partition: number;
  queue: T[];
  /** Per queued record, the fetch that brought it (a count of fetches). */
  fetches: number[];
  head: number;
  /** Batches announced by a fetch and not pushed yet. */
  pending: number;
  /** At its last fetch, nothing more was on the broker. */
  caughtUp: boolean;
  /** That last fetch. */
  fetch: number;
  /** Time of the last record pushed (-Infinity: none). */
  lastTime: number;
  /** Time of the last record taken: where the partition resumes after its buffer is dropped. */
  takenTime: number;
  /** Per queued record, the wall time its fetch returned. */
  arrivals: number[];
  /** When its last fetch returned, and when the last fetch that found it caught up started. */
  fetchedAt: number;
  caughtUpAt: number;
  /** Held the others back too long; waited for again once it delivers. */
  passedOver: boolean;
}

interface Remote extends LaneState {
  passedOver: boolean;
  /** When its state last changed (the `now` of `remote`). */
  changedAt: number;
}

export interface Aligner<T extends Aligned> {
  /**
   * The partitions assigned to this member (on every group join). Returns what was buffered, now
   * dropped: every partition is consumed again from its last commit.
   */
  assigned(partitions: readonly number[]): T[];
  /** What a fetch returned, before its batches are pushed; wall times it started and returned. */
  fetched(lanes: readonly FetchedLane[], at?: { startedAt: number; returnedAt: number }): void;
  /** The other members' partitions, as last published (replaces the previous ones), read at `now`. */
  remote(states: readonly LaneState[], now?: number): void;
  /** This member's partitions, to publish once nothing taken is still being applied. */
  states(): LaneState[];
  /** A batch's records, in offset order. */
  push(partition: number, items: readonly T[]): void;
  /**
   * What may be applied now, in order; with `limit`, no more than about `limit.max` by weight (at
   * least one record): the rest waits for the next take, so a backlog is applied in bounded rounds.
   */
  take(now: number, limit?: RoundLimit<T>): Taken<T>;
  /**
   * Drops every buffered record and returns them; each partition stands where its last taken record
   * left it. After a failure, or when the group rebalances (the partitions' next owners consume them
   * again from the last commit, so the member rejoins at once and nothing is applied ahead of a
   * partition whose member is gone).
   */
  clear(): T[];
  readonly buffered: number;
}

/** How much one round may take: records weighed by `weight`, up to `max`. */
export interface RoundLimit<T> {
  max: number;
  weight(item: T): number;
}

export function createAligner<T extends Aligned>(options: {
  maxWaitMs: number;
  /** Most another member's partition that makes no progress holds records back (default maxWaitMs). */
  memberWaitMs?: number;
  confirmCaughtUp?: boolean;
}): Aligner<T> {
  const { maxWaitMs, memberWaitMs = maxWaitMs, confirmCaughtUp = false } = options;
  const lanes = new Map<number, Lane<T>>();
  let remotes = new Map<number, Remote>();
  let buffered = 0;
  let blockedSince: number | undefined;
  let fetches = 0;

  const lane = (partition: number): Lane<T> => {
    let l = lanes.get(partition);
    if (!l) {
      l = {
        partition,
        queue: [],
        fetches: [],
        head: 0,
        pending: 0,
        caughtUp: false,
        fetch: 0,
        lastTime: Number.NEGATIVE_INFINITY,
        takenTime: Number.NEGATIVE_INFINITY,
        arrivals: [],
        fetchedAt: 0,
        caughtUpAt: 0,
        passedOver: false,
      };
      lanes.set(partition, l);
    }
    return l;
  };
  const size = (l: Lane<T>) => l.queue.length - l.head;
  /** The earliest time this lane can still release, for a record brought by fetch `by`. */
  const bound = (l: Lane<T>, by: number): number => {
    if (size(l) > 0) return (l.queue[l.head] as T).time;
    if (l.passedOver) return Number.POSITIVE_INFINITY;
    if (l.pending === 0 && l.caughtUp && (!confirmCaughtUp || l.fetch > by)) return Number.POSITIVE_INFINITY;
    return l.lastTime;
  };
  /** The same for another member's partition, for a record whose fetch returned at `arrived`. */
  const remoteBound = (r: Remote, arrived: number): number => {
    if (r.passedOver || lanes.has(r.partition)) return Number.POSITIVE_INFINITY;
    if (r.caughtUpAt > 0 && r.caughtUpAt > arrived) return Number.POSITIVE_INFINITY;
    return r.bound;
  };
  const pop = (l: Lane<T>): T => {
    const item = l.queue[l.head] as T;
    l.head += 1;
    l.takenTime = item.time;
    buffered -= 1;
    if (l.head === l.queue.length) {
      l.queue = [];
      l.fetches = [];
      l.arrivals = [];
      l.head = 0;
    }
    return item;
  };
  /** Drops every buffered record; each partition stands where its last taken record left it. */
  const drop = (): T[] => {
    const dropped: T[] = [];
    for (const l of lanes.values()) {
      for (let i = l.head; i < l.queue.length; i++) dropped.push(l.queue[i] as T);
      l.queue = [];
      l.fetches = [];
      l.arrivals = [];
      l.head = 0;
      l.lastTime = l.takenTime;
      l.pending = 0;
      l.caughtUp = false;
      l.caughtUpAt = 0;
      l.passedOver = false;
    }
    buffered = 0;
    blockedSince = undefined;
    return dropped;
  };

  return {
    assigned(partitions) {
      const dropped = drop();
      const now = new Set(partitions);
      for (const l of lanes.values()) {
        if (!now.has(l.partition)) lanes.delete(l.partition);
      }
      for (const p of partitions) lane(p);
      return dropped;
    },
    fetched(fetchedLanes, at = { startedAt: 0, returnedAt: 0 }) {
      fetches += 1;
      for (const f of fetchedLanes) {
        const l = lane(f.partition);
        if (f.delivered) l.pending += 1;
        l.caughtUp = f.nextOffset >= f.highWatermark;
        l.fetch = fetches;
        l.fetchedAt = at.returnedAt;
        if (l.caughtUp) l.caughtUpAt = at.startedAt;
        l.passedOver = false;
      }
    },
    remote(states, now = 0) {
      const next = new Map<number, Remote>();
      for (const s of states) {
        const before = remotes.get(s.partition);
        // Passed over until its member publishes something new.
        const same = before !== undefined && before.bound === s.bound && before.caughtUpAt === s.caughtUpAt;
        next.set(s.partition, {
          ...s,
          passedOver: same && before.passedOver,
          changedAt: same ? before.changedAt : now,
        });
      }
      remotes = next;
    },
    states() {
      const out: LaneState[] = [];
      for (const l of lanes.values()) {
        const empty = size(l) === 0;
        out.push({
          partition: l.partition,
          bound: empty ? l.lastTime : (l.queue[l.head] as T).time,
          caughtUpAt: empty && l.pending === 0 && l.caughtUp ? l.caughtUpAt : 0,
        });
      }
      return out;
    },
    push(partition, items) {
      const l = lane(partition);
      if (l.pending > 0) l.pending -= 1;
      l.passedOver = false;
      for (const item of items) {
        l.queue.push(item);
        l.fetches.push(l.fetch);
        l.arrivals.push(l.fetchedAt);
      }
      buffered += items.length;
      const last = items.at(-1);
      if (last) l.lastTime = last.time;
    },
    take(now, limit) {
      const items: T[] = [];
      let passedOver = 0;
      let weight = 0;
      for (;;) {
        if (limit && weight >= limit.max) break;
        let best: Lane<T> | undefined;
        let bestTime = Number.POSITIVE_INFINITY;
        let by = 0;
        for (const l of lanes.values()) {
          if (size(l) === 0) continue;
          const t = (l.queue[l.head] as T).time;
          if (best === undefined || t < bestTime || (t === bestTime && l.partition < best.partition)) {
            best = l;
            bestTime = t;
          }
        }
        if (!best) break;
        by = best.fetches[best.head] as number;
        const arrived = best.arrivals[best.head] as number;
        // Until when the partitions holding this record back are waited for: this member's for
        // maxWaitMs; another member's for memberWaitMs after its last change (while its member makes
        // progress on it, or is starting up, it is waited for).
        let waitUntil = Number.NEGATIVE_INFINITY;
        const since = blockedSince ?? now;
        const first = best.partition;
        // A partition whose next record may come at this very time goes first if it is ordered
        // first (a buffered one would have been chosen): ties are broken by partition, not arrival.
        const holds = (b: number, partition: number) => b < bestTime || (b === bestTime && partition < first);
        for (const l of lanes.values()) {
          if (l !== best && holds(bound(l, by), l.partition)) {
            waitUntil = since + maxWaitMs;
            break;
          }
        }
        for (const r of remotes.values()) {
          if (holds(remoteBound(r, arrived), r.partition)) {
            waitUntil = Math.max(waitUntil, Math.max(since, r.changedAt) + memberWaitMs);
          }
        }
        if (waitUntil > Number.NEGATIVE_INFINITY) {
          blockedSince = since;
          if (now < waitUntil) return { items, passedOver, retryAt: waitUntil };
          for (const l of lanes.values()) {
            if (l !== best && holds(bound(l, by), l.partition)) {
              l.passedOver = true;
              passedOver += 1;
            }
          }
          for (const r of remotes.values()) {
            if (holds(remoteBound(r, arrived), r.partition)) {
              r.passedOver = true;
              passedOver += 1;
            }
          }
        }
        blockedSince = undefined;
        const item = pop(best);
        items.push(item);
        if (limit) weight += limit.weight(item);
      }
      blockedSince = undefined;
      return { items, passedOver };
    },
    clear: drop,
    get buffered() {
      return buffered;
    },
  };
}
