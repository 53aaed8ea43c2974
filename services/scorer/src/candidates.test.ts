import { recsysFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedRequest } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { candidateMatrix, checkCandidates, scoresMessages } from './candidates.js';
import { InvalidRequestError, VectorMismatchError } from './errors.js';
import type { ServedModel } from './models.js';

const width = recsysFeatureSet.names.length;
const v = recsysFeatureSet.version;
const row = (v: number) => Array.from({ length: width }, (_, i) => (i === 3 ? Number.NaN : v + i));

function enriched(over: Partial<EnrichedRequest['features']> = {}): EnrichedRequest {
  return {
    request: {
      request_id: 'r1',
      event_time: Date.UTC(2026, 0, 2),
      user_id: 'U1',
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: ['I1', 'I2', 'I3'],
      candidate_source: null,
      k: 2,
    },
    features: {
      feature_set: recsysFeatureSet.name,
      version: recsysFeatureSet.version,
      candidates: ['I1', 'I2', 'I3'].map((item_id, k) => ({ item_id, category: 'books', values: row(k) })),
      ...over,
    },
    computed_at: Date.UTC(2026, 0, 2),
  };
}

const model = (version: string, shadow: boolean) =>
  ({ ref: `recsys_rank@${version}`, name: 'recsys_rank', version, shadow }) as ServedModel;

describe('scoring a request’s candidates', () => {
  it('accepts a request of the served feature set, one vector per candidate', () => {
    expect(checkCandidates(enriched(), recsysFeatureSet)).toBeUndefined();
  });

  it('refuses another feature set or version, a wrong width and an invalid request, with the reason', () => {
    const other = checkCandidates(enriched({ feature_set: 'fraud_core' }), recsysFeatureSet);
    expect(other).toBeInstanceOf(VectorMismatchError);
    expect(other?.message).toBe(`feature set fraud_core v${v} is not recsys_core v${v} that the models are trained on`);
    expect(checkCandidates(enriched({ version: v + 1 }), recsysFeatureSet)?.message).toMatch(
      `recsys_core v${v + 1} is not`,
    );
    const short = enriched();
    for (const c of short.features.candidates) c.values = c.values.slice(0, 5);
    const wrongWidth = checkCandidates(short, recsysFeatureSet);
    expect(wrongWidth).toBeInstanceOf(VectorMismatchError);
    expect(wrongWidth?.message).toBe(`candidate vectors have 5 values; recsys_core v${v} declares ${width}`);
    const missing = enriched({ candidates: enriched().features.candidates.slice(0, 2) });
    const invalid = checkCandidates(missing, recsysFeatureSet);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid?.message).toBe('2 candidate vectors for 3 candidate_item_ids');
  });

  it('packs the candidates as one N×F matrix in the request’s order, NaN kept', () => {
    const m = candidateMatrix(enriched(), width);
    expect(m.length).toBe(3 * width);
    expect(Array.from(m.subarray(width, width + 3))).toEqual([1, 2, 3]);
    expect(Number.isNaN(m[2 * width + 3])).toBe(true);
  });

  it('builds one message per model with its scores in candidate order, the shadow flagged', () => {
    const messages = scoresMessages(
      enriched(),
      [
        { model: model('1', false), scores: Float32Array.of(0.5, 0.25, 0.125), latencyMs: 0.3 },
        { model: model('2', true), scores: Float32Array.of(0.1, 0.2, 0.3), latencyMs: 0.4 },
      ],
      Date.UTC(2026, 0, 2, 0, 0, 1),
    );
    expect(messages).toEqual([
      {
        request_id: 'r1',
        user_id: 'U1',
        event_time: Date.UTC(2026, 0, 2),
        model_name: 'recsys_rank',
        model_version: '1',
        feature_set_version: v,
        scores: [0.5, 0.25, 0.125],
        shadow: false,
        latency_ms: 0.3,
        scored_at: Date.UTC(2026, 0, 2, 0, 0, 1),
      },
      expect.objectContaining({ model_version: '2', shadow: true, scores: [0.1, 0.2, 0.3].map(Math.fround) }),
    ]);
  });

  it('refuses scores a model made NaN, naming the model', () => {
    expect(() =>
      scoresMessages(
        enriched(),
        [{ model: model('1', false), scores: Float32Array.of(0.5, Number.NaN, 0.1), latencyMs: 1 }],
        1,
      ),
    ).toThrow(new InvalidRequestError('recsys_rank@1: scores[1] is NaN, not a finite number'));
  });
});
