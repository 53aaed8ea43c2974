import type { Decision } from '@pipeline/topology';

/**
 * Fallback decisions this instance answered whose event the decision engine will never read: the
 * feature service dead-lettered its transaction (late, most often, when an overloaded pipeline lets
 * requests overtake each other). The engine re-emits an answered fallback when the event reaches it;
 * this one never does, so the API emits it itself, with the engine's protocol (the claim is already
 * held: produce, then mark emitted). Either order works: the dead letter read before the claim, or
 * after. A claimed decision the engine puts on the decisions topic is forgotten, and so is anything
 * older than `holdMs`, or beyond the newest `maxHeld` of its kind (every instance reads every dead
 * letter, most of them not its own events').
 */
export interface Stranded {
  /** This instance's fallback won its event's claim. */
  claimed(decision: Decision): void;
  /** A dead letter of the event's transaction (or enriched event) was read. */
  deadLettered(eventId: string): void;
  /** The event's decision was read on the decisions topic. */
  decided(eventId: string): void;
  /** Claimed decisions still waiting for their decision or dead letter. */
  readonly size: number;
  close(): void;
}

export interface StrandedDeps {
  /** Produces the decisions to the decisions topic and marks them emitted; rejects if either failed. */
  emit(decisions: Decision[]): Promise<void>;
  onEmitted(decisions: readonly Decision[]): void;
  onError(error: unknown, decisions: readonly Decision[]): void;
  holdMs: number;
  /** The most claims, and the most dead letters, remembered at once (the oldest go first). */
  maxHeld: number;
  /** Pause before emitting again after a failure (Kafka or Redis down), while within `holdMs`. */
  retryMs: number;
  now(): number;
}

export function createStranded(deps: StrandedDeps): Stranded {
  // Both in arrival order, so the oldest are at the front.
  const claimed = new Map<string, { decision: Decision; at: number }>();
  const dead = new Map<string, number>();
  let due: { decision: Decision; at: number }[] = [];
  let flushing = false;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  function remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.set(id, value);
    if (map.size > deps.maxHeld) map.delete(map.keys().next().value as string);
  }

  function prune(): void {
    const oldest = deps.now() - deps.holdMs;
    for (const [id, c] of claimed) {
      if (c.at >= oldest) break;
      claimed.delete(id);
    }
    for (const [id, at] of dead) {
      if (at >= oldest) break;
      dead.delete(id);
    }
  }

  async function flush(): Promise<void> {
    if (flushing || closed || due.length === 0) return;
    flushing = true;
    const batch = due;
    due = [];
    const decisions = batch.map((b) => b.decision);
    let failed = false;
    try {
      await deps.emit(decisions);
      deps.onEmitted(decisions);
    } catch (error) {
      failed = true;
      deps.onError(error, decisions);
      const oldest = deps.now() - deps.holdMs;
      due = [...batch.filter((b) => b.at >= oldest), ...due];
    }
    flushing = false;
    if (due.length === 0) return;
    if (!failed) return void flush();
    clearTimeout(retry);
    retry = setTimeout(() => void flush(), deps.retryMs);
  }

  function emit(decision: Decision, at: number): void {
    due.push({ decision, at });
    // Those stranded in the same turn go in one produce.
    if (due.length === 1) queueMicrotask(() => void flush());
  }

  return {
    claimed(decision) {
      prune();
      if (dead.delete(decision.event_id)) emit(decision, deps.now());
      else remember(claimed, decision.event_id, { decision, at: deps.now() });
    },
    deadLettered(eventId) {
      prune();
      const c = claimed.get(eventId);
      if (c) {
        claimed.delete(eventId);
        emit(c.decision, c.at);
      } else {
        remember(dead, eventId, deps.now());
      }
    },
    decided(eventId) {
      claimed.delete(eventId);
    },
    get size() {
      return claimed.size;
    },
    close() {
      closed = true;
      clearTimeout(retry);
    },
  };
}
