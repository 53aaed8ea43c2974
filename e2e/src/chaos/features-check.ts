import type { FeatureSet, ReferenceEvent } from '@pipeline/feature-sets';
import { createTally, type Tally } from '../vectors/compare.js';
import { referenceKeepMs } from '../vectors/feature-groups.js';
import { type ReadLogged, reconcile } from '../verify-replay/reconcile.js';

/** How the features served in one window compare with a run without faults. */
export interface WindowFeatures {
  /** Vectors the sink logged for the window's transactions. */
  vectors: number;
  /** Of those, equal to the reference in every value. */
  exact: number;
  /** Transactions decided or accepted but with no logged vector. */
  missing: number;
  /** When the first differing vector's transaction was published, ms into the window (null: none). */
  firstDifferingMs: number | null;
}

/**
 * Every logged vector of the run against the feature set's reference over the events as published
 * (the vectors a run without faults serves: the replay check shows that run exact), counted per
 * fault window. A vector is the feature state as of its event, so state a fault lost, doubled or
 * reordered shows in the vectors that follow it, in its own window or a later one.
 */
export async function checkFeatures(options: {
  set: FeatureSet;
  /** Every valid event published, in published order. */
  events: readonly ReferenceEvent[];
  /** The window each transaction was published in, and when (ms into it). */
  windowOf: ReadonlyMap<string, { window: number; atMs: number }>;
  readLogged: ReadLogged;
  /** Transactions dead-lettered: no vector expected. */
  refused: ReadonlySet<string>;
}): Promise<{ windows: Map<number, WindowFeatures>; tally: Tally }> {
  const tally = createTally(options.set, { examples: 5 });
  const windows = new Map<number, WindowFeatures>();
  const of = (id: string) => {
    const w = options.windowOf.get(id)?.window ?? -1;
    let figures = windows.get(w);
    if (!figures) {
      figures = { vectors: 0, exact: 0, missing: 0, firstDifferingMs: null };
      windows.set(w, figures);
    }
    return figures;
  };
  const counting: Tally = {
    ...tally,
    add(eventId, logged, reference) {
      const ok = tally.add(eventId, logged, reference);
      const w = of(eventId);
      w.vectors++;
      if (ok) w.exact++;
      const at = options.windowOf.get(eventId)?.atMs;
      if (!ok && at !== undefined) w.firstDifferingMs = Math.min(w.firstDifferingMs ?? at, at);
      return ok;
    },
    otherSet() {
      tally.otherSet();
    },
    missing(eventId) {
      tally.missing(eventId);
      of(eventId).missing++;
    },
  };
  await reconcile({
    events: options.events,
    set: options.set,
    keepMs: referenceKeepMs(options.set),
    readLogged: options.readLogged,
    tally: counting,
    refused: options.refused,
  });
  return { windows, tally };
}
