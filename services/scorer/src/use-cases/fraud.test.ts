import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { EnrichedTransaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { VectorMismatchError } from '../errors.js';
import type { ServedModel, ServingSet } from '../models.js';
import type { ModelResult, ScoreTask, ScoringPool } from '../pool.js';
import { fraudScoring, modelScores, scoreMessages } from './fraud.js';

const width = fraudFeatureSet.names.length;
const model = (version: string, shadow: boolean) =>
  ({ ref: `fraud_gbdt@${version}`, name: 'fraud_gbdt', version, shadow, worker: { key: version } }) as ServedModel;
const set = (champion: string, ...shadows: string[]): ServingSet => ({
  champion: model(champion, false),
  shadows: shadows.map((v) => model(v, true)),
  signature: [champion, ...shadows].join(),
});

/** A model result over `rows` rows: score row/10 + bias; `top` the (index, value) pairs per row. */
function result(key: string, rows: number, bias: number, top: [number, number][][] = []): ModelResult {
  const topIndex = new Int16Array(rows * 3).fill(-1);
  const topValue = new Float32Array(rows * 3);
  top.forEach((pairs, row) => {
    pairs.forEach(([index, value], k) => {
      topIndex[row * 3 + k] = index;
      topValue[row * 3 + k] = value;
    });
  });
  return {
    key,
    scores: Float32Array.from({ length: rows }, (_, r) => r / 10 + bias),
    latencyMs: 3,
    topIndex,
    topValue,
  };
}

/** A pool that records each task and scores it with `result`, each model its own bias. */
function recordingPool(tasks: ScoreTask[]): ScoringPool {
  return {
    threads: 1,
    score: async (task) => {
      tasks.push(task);
      return task.models.map((m, i) => result(m.key, task.rows, i));
    },
    warm: async () => {
      throw new Error('not warmed here');
    },
    close: async () => {},
  };
}

function event(id: string, value: number, over: Partial<EnrichedTransaction['features']> = {}): EnrichedTransaction {
  return {
    transaction: {
      event_id: id,
      event_time: Date.UTC(2026, 0, 1),
      customer_id: `C-${id}`,
      terminal_id: 'T1',
      amount_minor: 1000,
      currency: 'EUR',
      channel: 'POS',
      country: 'PT',
      device_hash: null,
      ip_hash: null,
    },
    features: {
      feature_set: fraudFeatureSet.name,
      version: fraudFeatureSet.version,
      values: Array.from({ length: width }, () => value),
      ...over,
    },
    computed_at: 0,
  };
}

describe('fraud scores', () => {
  it('gives each row every model’s score and its contributions by feature name, up to the first missing', () => {
    const served = {
      models: [model('2', false), model('3', true)],
      results: [
        result('2', 2, 0, [
          [
            [4, 0.5],
            [0, 0.25],
          ],
          [],
        ]),
        result('3', 2, 0.5, [
          [],
          [
            [1, 0.125],
            [2, 0.0625],
            [3, 0.03125],
          ],
        ]),
      ],
    };
    const rows = modelScores(served, 2, fraudFeatureSet.names);
    const names = fraudFeatureSet.names;
    expect(rows).toEqual([
      [
        {
          model: served.models[0],
          score: 0,
          latencyMs: 3,
          contributions: [
            { feature: names[4], value: 0.5 },
            { feature: names[0], value: 0.25 },
          ],
        },
        { model: served.models[1], score: 0.5, latencyMs: 3, contributions: [] },
      ],
      [
        { model: served.models[0], score: expect.closeTo(0.1, 6), latencyMs: 3, contributions: [] },
        {
          model: served.models[1],
          score: expect.closeTo(0.6, 6),
          latencyMs: 3,
          contributions: [
            { feature: names[1], value: 0.125 },
            { feature: names[2], value: 0.0625 },
            { feature: names[3], value: 0.03125 },
          ],
        },
      ],
    ]);
    expect(
      scoreMessages(event('e1', 0), rows[0] ?? [], 99).map((s) => [s.model_version, s.shadow, s.score, s.scored_at]),
    ).toEqual([
      ['2', false, 0, 99],
      ['3', true, 0.5, 99],
    ]);
  });

  it('makes one Score per model, of the event, keyed by customer', () => {
    const [score] = scoreMessages(
      event('e1', 0),
      [{ model: model('2', false), score: 0.7, latencyMs: 4, contributions: [{ feature: 'f', value: 0.1 }] }],
      1234,
    );
    expect(score).toEqual({
      event_id: 'e1',
      customer_id: 'C-e1',
      event_time: Date.UTC(2026, 0, 1),
      model_name: 'fraud_gbdt',
      model_version: '2',
      feature_set_version: fraudFeatureSet.version,
      score: 0.7,
      shadow: false,
      latency_ms: 4,
      scored_at: 1234,
      contributions: [{ feature: 'f', value: 0.1 }],
    });
    const useCase = fraudScoring({
      pool: recordingPool([]),
      featureSet: fraudFeatureSet,
      models: () => set('2'),
      batch: { maxSize: 1, maxWaitMs: 1, explainMinScore: 0 },
    });
    expect(useCase.key(score as NonNullable<typeof score>)).toBe('C-e1');
    expect(useCase.id(event('e9', 0))).toBe('e9');
  });

  it('refuses a vector of another feature set version before scoring', () => {
    const useCase = fraudScoring({
      pool: recordingPool([]),
      featureSet: fraudFeatureSet,
      models: () => set('2'),
      batch: { maxSize: 1, maxWaitMs: 1, explainMinScore: 0 },
    });
    expect(useCase.check(event('e1', 0))).toBeUndefined();
    expect(useCase.check(event('e1', 0, { version: 1 }))).toBeInstanceOf(VectorMismatchError);
  });

  it('scores events in shared micro-batches with the set served at flush, and flushes what waits', async () => {
    const tasks: ScoreTask[] = [];
    let served = set('2', '3');
    const useCase = fraudScoring({
      pool: recordingPool(tasks),
      featureSet: fraudFeatureSet,
      models: () => served,
      // Never flushed by time here: by size, or by flush().
      batch: { maxSize: 2, maxWaitMs: 3_600_000, explainMinScore: 0.05 },
    });
    const first = await Promise.all([useCase.score(event('a', 1)), useCase.score(event('b', 2))]);
    served = set('4');
    const waiting = useCase.score(event('c', 3));
    useCase.flush?.();
    const last = await waiting;

    expect(tasks.map((t) => [t.rows, t.width, t.explainMinScore, t.models.map((m) => m.key)])).toEqual([
      [2, width, 0.05, ['2', '3']],
      [1, width, 0.05, ['4']],
    ]);
    expect(Array.from(tasks[0]?.vectors ?? []).slice(width - 1, width + 1)).toEqual([1, 2]);
    expect(first.map((row) => row.map((s) => [s.model.ref, s.score]))).toEqual([
      [
        ['fraud_gbdt@2', 0],
        ['fraud_gbdt@3', 1],
      ],
      [
        ['fraud_gbdt@2', expect.closeTo(0.1, 6)],
        ['fraud_gbdt@3', expect.closeTo(1.1, 6)],
      ],
    ]);
    expect(last.map((s) => s.model.ref)).toEqual(['fraud_gbdt@4']);
  });
});
