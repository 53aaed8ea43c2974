import type { Decision, EnrichedTransaction } from '@pipeline/topology';

/** What a request learnt by its deadline: the pipeline's decision, or none and maybe the event's features. */
export interface WaitOutcome {
  decision: Decision | null;
  /** The event as the feature service enriched it, if it came by then (the fallback decides on its features). */
  enriched: EnrichedTransaction | null;
}

interface Entry {
  resolvers: Set<(outcome: WaitOutcome) => void>;
  enriched: EnrichedTransaction | null;
}

/**
 * Requests waiting for their event's decision, matched by event id. The consumers of this instance
 * hand over every decision and enriched event they read; one that no request here waits for is
 * kept a little while in case its request is about to wait (the wait after a deadline, below), then dropped. Several requests may wait on one event id (a
 * repeated request): all get the same outcome. A wait ends at the decision or at its deadline,
 * whichever comes first; there is no other state, so a request that ended leaves nothing behind.
 */
export class Waiters {
  private readonly entries = new Map<string, Entry>();
  /** The latest decisions nobody waited for, oldest first: a wait that starts just after its decision went by finds it here. */
  private readonly recent = new Map<string, Decision>();

  /** `recentCap`: how many such decisions are kept (about 10 s of a busy pipeline by default). */
  constructor(private readonly recentCap = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Waits until the event's decision arrives or `ms` pass. Register before producing the event. */
  wait(eventId: string, ms: number): Promise<WaitOutcome> {
    const seen = this.recent.get(eventId);
    if (seen) return Promise.resolve({ decision: seen, enriched: null });
    let entry = this.entries.get(eventId);
    if (!entry) {
      entry = { resolvers: new Set(), enriched: null };
      this.entries.set(eventId, entry);
    }
    const own = entry;
    return new Promise((resolve) => {
      const done = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(
        () => {
          own.resolvers.delete(done);
          if (own.resolvers.size === 0 && this.entries.get(eventId) === own) this.entries.delete(eventId);
          resolve({ decision: null, enriched: own.enriched });
        },
        Math.max(0, ms),
      );
      own.resolvers.add(done);
    });
  }

  /** A decision from the decisions topic; true if a request here was waiting for it. */
  deliverDecision(decision: Decision): boolean {
    const entry = this.entries.get(decision.event_id);
    if (!entry) {
      this.recent.delete(decision.event_id);
      this.recent.set(decision.event_id, decision);
      if (this.recent.size > this.recentCap) this.recent.delete(this.recent.keys().next().value as string);
      return false;
    }
    this.entries.delete(decision.event_id);
    for (const resolve of entry.resolvers) resolve({ decision, enriched: entry.enriched });
    return true;
  }

  /** An enriched event from the enriched topic: kept for its waiting requests' fallback. */
  deliverEnriched(event: EnrichedTransaction): boolean {
    const entry = this.entries.get(event.transaction.event_id);
    if (!entry) return false;
    entry.enriched = event;
    return true;
  }
}
