import { describe, expect, it } from 'vitest';
import type { ServedModel } from '../models.js';
import type { ModelResult, ScoreTask, ScoringPool } from '../pool.js';
import { runBatch } from './run.js';
import type { BatchInput, BatchOutput, BatchScore, InputRecord, Reject, RejectSink } from './types.js';

const featureSet = { name: 'fs', version: 1, names: ['a', 'b'] };
const model = { ref: 'm@1', name: 'm', version: '1', shadow: false, worker: { key: 'm@1:x' } } as ServedModel;

/**
 * A pool that scores a row as a/100 and names feature b as the top contribution of odd rows; tasks
 * finish in reverse order of submission (the runner must still write in input order), and the most
 * tasks it ever held at once is kept.
 */
function fakePool(options: { failAt?: number } = {}) {
  let inFlight = 0;
  let calls = 0;
  const stats = { maxInFlight: 0, rowsPerTask: [] as number[] };
  const pool: ScoringPool = {
    threads: 2,
    async score(task: ScoreTask): Promise<ModelResult[]> {
      calls++;
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      stats.rowsPerTask.push(task.rows);
      const call = calls;
      await new Promise((r) => setTimeout(r, Math.max(0, 20 - call * 3)));
      inFlight--;
      if (call === options.failAt) throw new Error('worker died');
      const scores = new Float32Array(task.rows);
      const topIndex = new Int16Array(task.rows * 3).fill(-1);
      const topValue = new Float32Array(task.rows * 3);
      for (let i = 0; i < task.rows; i++) {
        scores[i] = (task.vectors[i * task.width] as number) / 100;
        if (i % 2 === 1) {
          topIndex[i * 3] = 1;
          topValue[i * 3] = 0.5;
        }
      }
      return [{ key: task.models[0]?.key ?? '', scores, latencyMs: 1, topIndex, topValue }];
    },
    warm: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
  return { pool, stats };
}

function input(records: InputRecord[]): BatchInput {
  return {
    source: 'test',
    fraction: () => undefined,
    async *records() {
      for (const r of records) yield r;
    },
  };
}

function memoryOutput() {
  const written: BatchScore[] = [];
  const state = { closed: false };
  const output: BatchOutput = {
    target: 'memory',
    async write(scores) {
      written.push(...scores);
    },
    async close() {
      state.closed = true;
    },
    async abort() {},
  };
  return { output, written, state };
}

function memoryRejects() {
  const rejects: Reject[] = [];
  const sink: RejectSink = {
    path: null,
    async write(r) {
      rejects.push(r);
    },
    async close() {},
  };
  return { sink, rejects };
}

const rows = (n: number): InputRecord[] =>
  Array.from({ length: n }, (_, i) => ({ row: { eventId: `e${i}`, values: [i, i + 1] } }));

describe('runBatch', () => {
  it('scores every row once, in input order, in chunks, with at most maxInFlight tasks on the pool', async () => {
    const { pool, stats } = fakePool();
    const { output, written, state } = memoryOutput();
    const { sink } = memoryRejects();
    const result = await runBatch({
      input: input(rows(25)),
      output,
      rejects: sink,
      pool,
      model,
      featureSet,
      chunkRows: 4,
      maxInFlight: 3,
      explainMinScore: 0,
    });
    expect(written.map((s) => s.event_id)).toEqual(rows(25).map((_, i) => `e${i}`));
    expect(written.map((s) => s.score)).toEqual(rows(25).map((_, i) => Math.fround(i / 100)));
    expect(stats.rowsPerTask).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(written[1]).toEqual({
      event_id: 'e1',
      model_name: 'm',
      model_version: '1',
      feature_set: 'fs',
      feature_set_version: 1,
      score: Math.fround(0.01),
      contributions: [{ feature: 'b', value: 0.5 }],
    });
    expect(written[0]?.contributions).toEqual([]);
    expect(state.closed).toBe(true);
    expect(result).toMatchObject({ rows: 25, scored: 25, rejected: 0 });
  });

  it('sends rejects to the reject sink and scores the rest', async () => {
    const { pool } = fakePool();
    const { output, written } = memoryOutput();
    const { sink, rejects } = memoryRejects();
    const bad: Reject = { where: 'line 3', eventId: 'x', reason: 'not a number' };
    const records = [...rows(2), { reject: bad }, ...rows(3).slice(2)];
    const result = await runBatch({
      input: input(records),
      output,
      rejects: sink,
      pool,
      model,
      featureSet,
      chunkRows: 2,
      maxInFlight: 2,
      explainMinScore: 0,
    });
    expect(rejects).toEqual([bad]);
    expect(written.map((s) => s.event_id)).toEqual(['e0', 'e1', 'e2']);
    expect(result).toMatchObject({ rows: 4, scored: 3, rejected: 1 });
  });

  it('fails the run when the pool fails, without closing the output', async () => {
    const { pool } = fakePool({ failAt: 2 });
    const { output, state } = memoryOutput();
    const { sink } = memoryRejects();
    const run = runBatch({
      input: input(rows(20)),
      output,
      rejects: sink,
      pool,
      model,
      featureSet,
      chunkRows: 4,
      maxInFlight: 2,
      explainMinScore: 0,
    });
    await expect(run).rejects.toThrow('worker died');
    expect(state.closed).toBe(false);
  });

  it('reports progress as it goes and once at the end', async () => {
    const { pool } = fakePool();
    const { output } = memoryOutput();
    const { sink } = memoryRejects();
    let t = 0;
    const seen: number[] = [];
    await runBatch({
      input: input(rows(12)),
      output,
      rejects: sink,
      pool,
      model,
      featureSet,
      chunkRows: 4,
      maxInFlight: 1,
      explainMinScore: 0,
      progressEveryMs: 10,
      now: () => (t += 5),
      onProgress: (p) => seen.push(p.scored),
    });
    expect(seen.at(-1)).toBe(12);
    expect(seen.length).toBeGreaterThan(1);
  });
});
