import type { FeatureSet } from '@pipeline/feature-sets';
import { createTally } from '../vectors/compare.js';
import type { LoggedVector } from '../vectors/logged-vectors.js';
import type { Consistency } from './report.js';

/**
 * Each replayed vector held to the one production logged for the same event: over the events whose
 * inputs were all replayed (`complete`, see inputs.ts), and over every event of the range. An event
 * production logged no vector for is left out (nothing to hold the replay to); one the replay has
 * no vector for is missing; one logged under another feature set or version is not identical.
 */
export function tallyConsistency(
  set: FeatureSet,
  eventIds: readonly string[],
  complete: ReadonlySet<string>,
  logged: ReadonlyMap<string, LoggedVector>,
  replayed: ReadonlyMap<string, LoggedVector>,
  examples = 5,
): Consistency {
  const tallies = { complete: createTally(set, { examples }), all: createTally(set, { examples }) };
  for (const id of eventIds) {
    const production = logged.get(id);
    if (!production) continue;
    const replay = replayed.get(id);
    for (const tally of complete.has(id) ? [tallies.complete, tallies.all] : [tallies.all]) {
      if (!replay) tally.missing(id);
      else if (production.featureSet !== set.name || production.version !== set.version) tally.otherSet();
      else tally.add(id, replay.values, production.values);
    }
  }
  return { complete: tallies.complete.result(), all: tallies.all.result() };
}
