interface Waiter<S> {
  eventId: string;
  deadline: number;
  matches: (score: S) => boolean;
  done: boolean;
  resolve: (score: S | null) => void;
}

/**
 * In-memory half of the join: enriched events waiting for their score until a deadline. Scores that
 * come first are held in Redis (with expiry) and found by the lookup at arrival; this table only
 * wakes events already waiting. The clock is the caller's: `expire(now)` is driven by a ticker in
 * the engine and by hand in tests.
 */
export class JoinTable<S> {
  /** `eventIdOf`: the id of the event a score is for. */
  constructor(private readonly eventIdOf: (score: S) => string) {}

  private readonly waiting = new Map<string, Waiter<S>[]>();
  // One deadline queue per length of wait (the budget, the catch-up budget): within a queue deadlines
  // arrive in order (arrival + a constant), so it stays sorted by appending; resolved waiters are
  // dropped lazily when their deadline comes up.
  private readonly lanes = new Map<number, { deadlines: Waiter<S>[]; head: number }>();

  get size(): number {
    return this.waiting.size;
  }

  /** Waits until a matching score is offered or settled, or `deadline`; `lane` is the length of the wait. */
  wait(eventId: string, matches: (score: S) => boolean, deadline: number, lane = 0): Promise<S | null> {
    return new Promise((resolve) => {
      const waiter: Waiter<S> = { eventId, deadline, matches, done: false, resolve };
      const list = this.waiting.get(eventId);
      if (list) list.push(waiter);
      else this.waiting.set(eventId, [waiter]);
      let queue = this.lanes.get(lane);
      if (!queue) {
        queue = { deadlines: [], head: 0 };
        this.lanes.set(lane, queue);
      }
      insertDeadline(queue, waiter);
    });
  }

  /** Wakes the waiters of the score's event that accept it; true if any did. */
  offer(score: S): boolean {
    const list = this.waiting.get(this.eventIdOf(score));
    if (!list) return false;
    let taken = false;
    for (const waiter of list) {
      if (!waiter.done && waiter.matches(score)) {
        this.finish(waiter, score);
        taken = true;
      }
    }
    return taken;
  }

  /** Ends every wait for `eventId` with `score` (e.g. what the Redis lookup found, or null). */
  settle(eventId: string, score: S | null): void {
    for (const waiter of [...(this.waiting.get(eventId) ?? [])]) {
      if (!waiter.done && (score === null || waiter.matches(score))) this.finish(waiter, score);
    }
  }

  /** Ends the waits whose deadline is at or before `now` with null; returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (const queue of this.lanes.values()) {
      while (queue.head < queue.deadlines.length) {
        const waiter = queue.deadlines[queue.head];
        if (!waiter || waiter.deadline > now) break;
        queue.head += 1;
        if (!waiter.done) {
          this.finish(waiter, null);
          expired += 1;
        }
      }
      if (queue.head > 1024 && queue.head * 2 > queue.deadlines.length) {
        queue.deadlines.splice(0, queue.head);
        queue.head = 0;
      }
    }
    return expired;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const queue of this.lanes.values()) {
      for (let i = queue.head; i < queue.deadlines.length; i++) {
        const waiter = queue.deadlines[i];
        if (waiter && !waiter.done) {
          if (next === undefined || waiter.deadline < next) next = waiter.deadline;
          break;
        }
      }
    }
    return next;
  }

  private finish(waiter: Waiter<S>, score: S | null): void {
    waiter.done = true;
    const list = this.waiting.get(waiter.eventId);
    if (list) {
      const rest = list.filter((w) => w !== waiter);
      if (rest.length > 0) this.waiting.set(waiter.eventId, rest);
      else this.waiting.delete(waiter.eventId);
    }
    waiter.resolve(score);
  }
}

function insertDeadline<S>(queue: { deadlines: Waiter<S>[]; head: number }, waiter: Waiter<S>): void {
  const { deadlines } = queue;
  let i = deadlines.length;
  while (i > queue.head && (deadlines[i - 1]?.deadline ?? 0) > waiter.deadline) i -= 1;
  deadlines.splice(i, 0, waiter);
}
