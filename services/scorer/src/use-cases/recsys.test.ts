import { recsysFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedRequest } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, VectorMismatchError } from '../errors.js';
import type { ServedModel, ServingSet } from '../models.js';
import type { ScoreTask, ScoringPool } from '../pool.js';
import { recsysScoring } from './recsys.js';

const width = recsysFeatureSet.names.length;
const model = (version: string, shadow: boolean) =>
  ({ ref: `recsys_rank@${version}`, name: 'recsys_rank', version, shadow, worker: { key: version } }) as ServedModel;
/** A valid scoring time (the schema holds it to 2000–2100). */
const at = Date.UTC(2026, 0, 2, 0, 0, 1);
const served: ServingSet = { champion: model('1', false), shadows: [model('2', true)], signature: '1,2' };

/** A pool that records each task; model i scores row r as r / 10 + i, or NaN for a model keyed `nan`. */
function recordingPool(tasks: ScoreTask[]): ScoringPool {
  return {
    threads: 1,
    score: async (task) => {
      tasks.push(task);
      return task.models.map((m, i) => ({
        key: m.key,
        scores: Float32Array.from({ length: task.rows }, (_, r) => (m.key === 'nan' ? Number.NaN : r / 10 + i)),
        latencyMs: 2,
        topIndex: new Int16Array(task.rows * 3).fill(-1),
        topValue: new Float32Array(task.rows * 3),
      }));
    },
    warm: async () => {
      throw new Error('not warmed here');
    },
    close: async () => {},
  };
}

function request(id: string, over: Partial<EnrichedRequest['features']> = {}): EnrichedRequest {
  const items = ['I1', 'I2', 'I3'];
  return {
    request: {
      request_id: id,
      event_time: Date.UTC(2026, 0, 2),
      user_id: `U-${id}`,
      context: { surface: 'home', device: null, current_item_id: null },
      candidate_item_ids: items,
      candidate_source: null,
      k: 2,
    },
    features: {
      feature_set: recsysFeatureSet.name,
      version: recsysFeatureSet.version,
      candidates: items.map((item_id, k) => ({ item_id, category: 'books', values: Array(width).fill(k) })),
      ...over,
    },
    computed_at: Date.UTC(2026, 0, 2),
  };
}

describe('recommendation scores', () => {
  it('scores a request’s candidates as one unexplained matrix and makes one message per model, keyed by user', async () => {
    const tasks: ScoreTask[] = [];
    const useCase = recsysScoring({ pool: recordingPool(tasks), featureSet: recsysFeatureSet, models: () => served });
    const event = request('r1');
    expect(useCase.check(event)).toBeUndefined();
    expect(useCase.id(event)).toBe('r1');
    const messages = useCase.messages(event, await useCase.score(event), at);

    expect(tasks.map((t) => [t.rows, t.width, t.explainMinScore, t.models.map((m) => m.key)])).toEqual([
      [3, width, Number.POSITIVE_INFINITY, ['1', '2']],
    ]);
    expect(Array.from(tasks[0]?.vectors ?? []).filter((_, i) => i % width === 0)).toEqual([0, 1, 2]);
    if (messages instanceof Error) throw messages;
    expect(messages.map((m) => [m.request_id, m.model_version, m.shadow, m.scores, m.scored_at])).toEqual([
      ['r1', '1', false, [0, expect.closeTo(0.1, 6), expect.closeTo(0.2, 6)], at],
      ['r1', '2', true, [1, expect.closeTo(1.1, 6), expect.closeTo(1.2, 6)], at],
    ]);
    expect(messages.map((m) => useCase.key(m))).toEqual(['U-r1', 'U-r1']);
  });

  it('refuses a request of another feature set before scoring', () => {
    const useCase = recsysScoring({ pool: recordingPool([]), featureSet: recsysFeatureSet, models: () => served });
    expect(useCase.check(request('r1', { feature_set: 'fraud_core' }))).toBeInstanceOf(VectorMismatchError);
  });

  it('returns the error that dead-letters a request a model scores NaN, naming the model', async () => {
    const nan = { ...served, shadows: [{ ...model('3', true), worker: { key: 'nan' } } as ServedModel] };
    const useCase = recsysScoring({ pool: recordingPool([]), featureSet: recsysFeatureSet, models: () => nan });
    const event = request('r1');
    const outcome = useCase.messages(event, await useCase.score(event), at);
    expect(outcome).toBeInstanceOf(InvalidRequestError);
    expect((outcome as Error).message).toMatch(/^recsys_rank@3: /);
  });
});
