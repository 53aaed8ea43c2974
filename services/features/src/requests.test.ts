import { NO_WATERMARK, recsysFeatureSet } from '@pipeline/feature-sets';
import { type RecommendationRequest, requestProblem } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { compileDeclaredPlan } from './declared.js';
import { BadInputError, LateEventError } from './errors.js';
import { checkRequests, type RequestEngine } from './requests.js';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 5);
const engine: RequestEngine = {
  declared: {
    set: recsysFeatureSet,
    plan: compileDeclaredPlan(recsysFeatureSet, 5 * MIN),
    prefix: 't:',
    rules: { maxFutureMs: 60 * MIN, allowedLatenessMs: 5 * MIN, watermarkRank: 1 },
  },
  problem: requestProblem,
  maxCandidates: 3,
};
const request = (id: string, minutes: number, over: Partial<RecommendationRequest> = {}): RecommendationRequest => ({
  request_id: id,
  event_time: T + minutes * MIN,
  user_id: 'U1',
  context: { surface: 'home', device: null, current_item_id: null },
  candidate_item_ids: ['I1', 'I2'],
  candidate_source: null,
  k: 2,
  ...over,
});

describe('checkRequests', () => {
  it('accepts listed candidates within the limits, and names what is wrong with the others', () => {
    const requests = [
      request('r1', 0),
      request('r2', 1, { candidate_item_ids: [], candidate_source: 'trending' }),
      request('r3', 1, { candidate_item_ids: ['I1', 'I2', 'I3', 'I4'] }),
      request('r4', 1, { candidate_item_ids: [] }),
      request('r5', -6),
      request('r6', 2),
    ];
    const out = checkRequests(engine, requests, NO_WATERMARK, T);
    expect(out.accepted).toEqual([0, 5]);
    expect(out.horizons).toEqual([T, T + 2 * MIN]);
    expect(out.refused.map((e) => e?.message)).toEqual([
      undefined,
      'candidate_source "trending" is not served: the feature set serves candidate_source popular_7d, listed candidate_item_ids',
      '4 candidates, more than FEATURES_MAX_CANDIDATES (3)',
      'no candidate_item_ids and no candidate_source',
      expect.stringMatching(/^late event/),
      undefined,
    ]);
    expect(out.refused[1]).toBeInstanceOf(BadInputError);
    expect(out.refused[4]).toBeInstanceOf(LateEventError);
  });

  it('accepts a declared candidate source whose top fits FEATURES_MAX_CANDIDATES', () => {
    const sourced = [request('r1', 0, { candidate_item_ids: [], candidate_source: 'popular_7d' })];
    expect(checkRequests({ ...engine, maxCandidates: 50 }, sourced, NO_WATERMARK, T).accepted).toEqual([0]);
    const refused = checkRequests(engine, sourced, NO_WATERMARK, T);
    expect(refused.refused[0]?.message).toBe('50 candidates, more than FEATURES_MAX_CANDIDATES (3)');
  });
});
