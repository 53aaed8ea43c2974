import type { Score } from '@pipeline/topology';

interface Waiter {
  eventId: string;
  deadline: number;
  matches: (score: Score) => boolean;
  done: boolean;
  resolve: (score: Score | null) => void;
}

/**
 * In-memory half of the join: enriched events waiting for their score until a deadline. Scores that
 * come first are held in Redis (with expiry) and found by the lookup at arrival; this table only
 * wakes events already waiting. The clock is the caller's: `expire(now)` is driven by a ticker in
 * the engine and by hand in tests.
 */
export class JoinTable {
  private readonly waiting = new Map<string, Waiter[]>();
  // Deadlines arrive in order (arrival + a constant budget), so this stays sorted by appending;
  // resolved waiters are dropped lazily when their deadline comes up.
  private readonly deadlines: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.waiting.size;
  }

  wait(eventId: string, matches: (score: Score) => boolean, deadline: number): Promise<Score | null> {
    return new Promise((resolve) => {
      const waiter: Waiter = { eventId, deadline, matches, done: false, resolve };
      const list = this.waiting.get(eventId);
      if (list) list.push(waiter);
      else this.waiting.set(eventId, [waiter]);
      this.insertDeadline(waiter);
    });
  }

  /** Wakes the waiters of the score's event that accept it; true if any did. */
  offer(score: Score): boolean {
    const list = this.waiting.get(score.event_id);
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
  settle(eventId: string, score: Score | null): void {
    for (const waiter of [...(this.waiting.get(eventId) ?? [])]) {
      if (!waiter.done && (score === null || waiter.matches(score))) this.finish(waiter, score);
    }
  }

  /** Ends the waits whose deadline is at or before `now` with null; returns how many. */
  expire(now: number): number {
    let expired = 0;
    while (this.head < this.deadlines.length) {
      const waiter = this.deadlines[this.head];
      if (!waiter || waiter.deadline > now) break;
      this.head += 1;
      if (!waiter.done) {
        this.finish(waiter, null);
        expired += 1;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.deadlines.length) {
      this.deadlines.splice(0, this.head);
      this.head = 0;
    }
    return expired;
  }

  nextDeadline(): number | undefined {
    for (let i = this.head; i < this.deadlines.length; i++) {
      const waiter = this.deadlines[i];
      if (waiter && !waiter.done) return waiter.deadline;
    }
    return undefined;
  }

  private insertDeadline(waiter: Waiter): void {
    let i = this.deadlines.length;
    while (i > this.head && (this.deadlines[i - 1]?.deadline ?? 0) > waiter.deadline) i -= 1;
    this.deadlines.splice(i, 0, waiter);
  }

  private finish(waiter: Waiter, score: Score | null): void {
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
