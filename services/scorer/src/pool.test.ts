import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createScoringPool } from './pool.js';
import { committedModelDir as dir } from './registry/test-registry.js';
import type { WorkerModel } from './worker.js';

const meta = JSON.parse(readFileSync(`${dir}metadata.json`, 'utf8'));
const fixture = JSON.parse(readFileSync(`${dir}fixture.json`, 'utf8')) as {
  vectors: (number | null)[][];
  onnxruntime: number[];
};
const width = meta.feature_set.names.length as number;
const model: WorkerModel = {
  key: 'fixture',
  path: `${dir}model.onnx`,
  input: meta.input,
  output: meta.output.name,
  column: meta.output.column,
  explain: true,
  reference: Float32Array.from(meta.reference_vector as (number | null)[], (v) => (v === null ? Number.NaN : v)),
};
const pool = createScoringPool({ threads: 2 });
afterAll(() => pool.close());

describe('scoring pool', () => {
  it('scores the committed model exactly as the Python onnxruntime did, NaNs included', async () => {
    const rows = fixture.vectors.length;
    const vectors = new Float32Array(rows * width);
    fixture.vectors.forEach((v, i) => {
      vectors.set(
        v.map((x) => (x === null ? Number.NaN : x)),
        i * width,
      );
    });
    const [result] = await pool.score({ models: [model], vectors, rows, width, explainMinScore: 0 });
    expect(result?.scores.length).toBe(rows);
    fixture.onnxruntime.forEach((expected, i) => {
      expect(Math.abs((result?.scores[i] as number) - expected)).toBeLessThan(1e-5);
    });
    // Contributions: positive, largest first, at most three.
    for (let i = 0; i < rows; i++) {
      const values = Array.from(result?.topValue.subarray(i * 3, i * 3 + 3) ?? []);
      const indexes = Array.from(result?.topIndex.subarray(i * 3, i * 3 + 3) ?? []);
      indexes.forEach((index, k) => {
        if (index < 0) return;
        expect(values[k]).toBeGreaterThan(0);
        if (k > 0) expect(values[k]).toBeLessThanOrEqual(values[k - 1] as number);
      });
    }
    const top = fixture.onnxruntime.indexOf(Math.max(...fixture.onnxruntime));
    expect(result?.topIndex[top * 3]).toBeGreaterThanOrEqual(0);
  });

  it('refuses a file onnxruntime cannot load', async () => {
    const vectors = new Float32Array(width);
    await expect(
      pool.score({
        models: [{ ...model, key: 'corrupt', path: fileURLToPath(new URL('./worker.ts', import.meta.url)) }],
        vectors,
        rows: 1,
        width,
        explainMinScore: 1,
      }),
    ).rejects.toThrow();
  });
});
