import { type Summary, ValueRecorder } from '@pipeline/loadtest';

/** What the decisions and recommendations readers count alike: records per id, paths and latency. */
export interface TallyStats {
  /** Records read, duplicates included. */
  received: number;
  /** Distinct ids (events decided, requests ranked). */
  ids: number;
  /** Ids read more than once. */
  duplicates: number;
  /** Ids read more than once, not always saying the same (what the reader's verdict compares). */
  differingDuplicates: number;
  /** MODEL_AND_RULES, or RULES_ONLY: the model missed its budget (rules alone, the fallback order). */
  byPath: Record<string, number>;
  /** The same, for records published after the first `warmUpMs` of traffic. */
  steadyByPath: Record<string, number>;
  /** Arrival here minus the `publish-time-ms` header the load generator stamped, where there is one. */
  latencyMs: Summary;
  /** The same, for records published after the first `warmUpMs` of traffic (services warm). */
  steadyLatencyMs: Summary;
}

export interface ReaderTally<T> {
  /** Counts a record; true when it is the first for its id. */
  add(record: T, arrived: number, published: number | undefined): boolean;
  stats(): TallyStats;
  /** Latency of the records added since the last call, and how many of them were on rules alone. */
  takeWindow(): Summary & { rulesOnly: number };
  /** The ids among these that have no record yet. */
  missing(ids: Iterable<string>): string[];
  /** How many records were read for the id, and whether they differ. */
  of(id: string): { count: number; differing: boolean };
}

/** Counts records of an output topic per id, telling an identical redelivery from a second verdict. */
export function readerTally<T>(options: {
  idOf(record: T): string;
  /** What the record says, as text: two of one id that differ here are a differing duplicate. */
  verdictOf(record: T): string;
  pathOf(record: T): string;
  /** Records published this long after the first one count as steady state. */
  warmUpMs: number;
}): ReaderTally<T> {
  const perId = new Map<string, number>();
  // What each id's first record said.
  const firstSaid = new Map<string, string>();
  const differing = new Set<string>();
  const byPath: Record<string, number> = {};
  const steadyByPath: Record<string, number> = {};
  const latency = new ValueRecorder();
  const steady = new ValueRecorder();
  let window = new ValueRecorder();
  let windowRulesOnly = 0;
  let firstPublished: number | undefined;
  let received = 0;

  return {
    add(record, arrived, published) {
      const id = options.idOf(record);
      const path = options.pathOf(record);
      received++;
      perId.set(id, (perId.get(id) ?? 0) + 1);
      const said = options.verdictOf(record);
      const first = firstSaid.get(id);
      if (first === undefined) firstSaid.set(id, said);
      else if (first !== said) differing.add(id);
      byPath[path] = (byPath[path] ?? 0) + 1;
      if (path === 'RULES_ONLY') windowRulesOnly++;
      if (published !== undefined) {
        latency.record(arrived - published);
        window.record(arrived - published);
        firstPublished ??= published;
        if (published - firstPublished >= options.warmUpMs) {
          steady.record(arrived - published);
          steadyByPath[path] = (steadyByPath[path] ?? 0) + 1;
        }
      }
      return first === undefined;
    },
    stats() {
      let duplicates = 0;
      for (const n of perId.values()) if (n > 1) duplicates++;
      return {
        received,
        ids: perId.size,
        duplicates,
        differingDuplicates: differing.size,
        byPath: { ...byPath },
        steadyByPath: { ...steadyByPath },
        latencyMs: latency.summary(),
        steadyLatencyMs: steady.summary(),
      };
    },
    takeWindow() {
      const taken = { ...window.summary(), rulesOnly: windowRulesOnly };
      window = new ValueRecorder();
      windowRulesOnly = 0;
      return taken;
    },
    missing: (ids) => [...ids].filter((id) => !perId.has(id)),
    of: (id) => ({ count: perId.get(id) ?? 0, differing: differing.has(id) }),
  };
}
