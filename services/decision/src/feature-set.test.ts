import { describe, expect, it } from 'vitest';
import { FeatureSetMismatchError, ScoreMismatchError } from './errors.js';
import { checkEnriched, checkScore } from './feature-set.js';
import { enriched, score, tinyFeatureSet } from './testing.js';

describe('feature-set checks', () => {
  it('accepts a vector of the right set, version and length', () => {
    expect(checkEnriched(enriched(), tinyFeatureSet)).toBeUndefined();
    expect(checkScore(score('e1', 0.1), tinyFeatureSet)).toBeUndefined();
  });

  it('refuses another version, another set, or a wrong length, saying which', () => {
    expect(checkEnriched(enriched({}, [0, 0, 0], { name: 'tiny', version: 2 }), tinyFeatureSet)?.message).toBe(
      'feature set tiny v2 is not tiny v3 that the rules are written against',
    );
    expect(checkEnriched(enriched({}, [0, 0, 0], { name: 'other', version: 3 }), tinyFeatureSet)).toBeInstanceOf(
      FeatureSetMismatchError,
    );
    expect(checkEnriched(enriched({}, [0, 0]), tinyFeatureSet)?.message).toBe(
      'feature vector has 2 values; tiny v3 declares 3',
    );
    expect(checkScore(score('e1', 0.1, { feature_set_version: 1 }), tinyFeatureSet)).toBeInstanceOf(ScoreMismatchError);
  });
});
