import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import type { LoggedVector } from '../vectors/logged-vectors.js';
import { tallyConsistency } from './consistency.js';
import { consistent } from './report.js';

const n = fraudFeatureSet.names.length;
const vector = (eventId: string, first = 1, featureSet = fraudFeatureSet.name): LoggedVector => {
  const values = new Float64Array(n).fill(1);
  values[0] = first;
  return { eventId, featureSet, version: fraudFeatureSet.version, values };
};
const byId = (vs: LoggedVector[]) => new Map(vs.map((v) => [v.eventId, v]));

describe('online/offline consistency', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const logged = byId([vector('a'), vector('b'), vector('c'), vector('d', 1, 'other_set')]);

  it('holds the complete-input events and all events apart; an event production never logged is left out', () => {
    const replayed = byId([vector('a'), vector('b', 2), vector('c'), vector('d'), vector('e')]);
    const c = tallyConsistency(fraudFeatureSet, ids, new Set(['a', 'c']), logged, replayed);
    expect(c.complete).toMatchObject({ vectors: 2, exactVectors: 2, exactShare: 1, missing: 0 });
    expect(c.all).toMatchObject({ vectors: 4, exactVectors: 2, exactShare: 0.5, otherSet: 1 });
    expect(c.all.features[0]).toMatchObject({ name: fraudFeatureSet.names[0], differs: 1 });
    expect(consistent({ consistency: c })).toBe(true);
  });

  it('fails when a complete-input vector differs by one value, or the replay has none', () => {
    const differs = tallyConsistency(
      fraudFeatureSet,
      ids,
      new Set(['a', 'b']),
      logged,
      byId([vector('a'), vector('b', 1.5)]),
    );
    expect(differs.complete).toMatchObject({ vectors: 2, exactVectors: 1, exactShare: 0.5 });
    expect(consistent({ consistency: differs })).toBe(false);
    const missing = tallyConsistency(fraudFeatureSet, ids, new Set(['a', 'c']), logged, byId([vector('a')]));
    expect(missing.complete).toMatchObject({ vectors: 1, exactVectors: 1, missing: 1 });
    expect(consistent({ consistency: missing })).toBe(false);
  });
});
