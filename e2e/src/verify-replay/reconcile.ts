import { type FeatureSet, type ReferenceEvent, referenceStream } from '@pipeline/feature-sets';
import type { Tally } from '../vectors/compare.js';
import type { LoggedVector } from '../vectors/logged-vectors.js';

const DAY_MS = 86_400_000;

/** The logged vectors of the transactions with an event time in [fromMs, toMs), in any order. */
export type ReadLogged = (fromMs: number, toMs: number) => AsyncIterable<LoggedVector>;

export interface ReconcileProgress {
  /** Start of the day of event time just compared. */
  day: number;
  transactions: number;
  labels: number;
  vectors: number;
  exactVectors: number;
}

export interface DayTally {
  /** Start of the day (UTC), epoch ms. */
  day: number;
  vectors: number;
  exactVectors: number;
}

export interface ReconcileResult {
  transactions: number;
  labels: number;
  /** Transactions the pipeline refused (dead letters): not expected in the log, not compared. */
  refused: number;
  /** Per day of event time: where in the history the differences are (a start-up effect or steady). */
  days: DayTally[];
}

/**
 * Recomputes every transaction's vector with `referenceStream` over `events` in the order given
 * (the published order, transactions and labels interleaved) and compares it with the logged one,
 * one day of event time at a time: the day's reference vectors are held until its logged rows are
 * read, so memory stays at one day's vectors however long the history. Events must come in
 * non-decreasing event time per transaction (the simulator's order); a day is done once the
 * reference has passed it.
 */
export async function reconcile(options: {
  events: Iterable<ReferenceEvent>;
  set: FeatureSet;
  keepMs: number;
  readLogged: ReadLogged;
  tally: Tally;
  /** Ids of transactions the pipeline dead-lettered. */
  refused?: ReadonlySet<string>;
  onDay?: (progress: ReconcileProgress) => void;
}): Promise<ReconcileResult> {
  const { set, tally } = options;
  const reference = referenceStream(set, options.keepMs);
  const pending = new Map<string, Float64Array>();
  let day: number | null = null;
  let transactions = 0;
  let labels = 0;
  let refused = 0;
  const days: DayTally[] = [];
  let before = { vectors: 0, exactVectors: 0 };

  const settle = async (start: number) => {
    for await (const logged of options.readLogged(start, start + DAY_MS)) {
      const expected = pending.get(logged.eventId);
      if (!expected) {
        tally.unexpected(logged.eventId);
        continue;
      }
      pending.delete(logged.eventId);
      if (logged.featureSet !== set.name || logged.version !== set.version) tally.otherSet();
      else tally.add(logged.eventId, logged.values, expected);
    }
    for (const id of pending.keys()) {
      if (options.refused?.has(id)) refused++;
      else tally.missing(id);
    }
    pending.clear();
    const { vectors, exactVectors } = tally.result();
    days.push({ day: start, vectors: vectors - before.vectors, exactVectors: exactVectors - before.exactVectors });
    before = { vectors, exactVectors };
    options.onDay?.({ day: start, transactions, labels, vectors, exactVectors });
  };

  for (const event of options.events) {
    if (event.kind === 'label') {
      labels++;
      reference.label(event.value);
      continue;
    }
    const tx = event.value;
    const txDay = Math.floor(tx.event_time / DAY_MS) * DAY_MS;
    if (day !== null && txDay < day) {
      throw new Error(
        `events out of event-time order: ${tx.event_id} is on a day before ${new Date(day).toISOString()}`,
      );
    }
    // Days without transactions are read too: any row logged there is unexpected.
    for (; day !== null && day < txDay; day += DAY_MS) await settle(day);
    day = txDay;
    transactions++;
    pending.set(tx.event_id, Float64Array.from(reference.transaction(tx) ?? []));
  }
  if (day !== null) await settle(day);
  return { transactions, labels, refused, days };
}
