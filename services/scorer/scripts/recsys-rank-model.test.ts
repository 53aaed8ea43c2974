import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recsysFeatureSet } from '@pipeline/feature-sets';
import { afterAll, describe, expect, it } from 'vitest';
import { createScoringPool } from '../src/pool.js';
import type { ModelMetadata } from '../src/registry/types.js';
import type { WorkerModel } from '../src/worker.js';

// The committed ranking model (services/trainer/train_ranker.py) and its fixture of whole requests.
const dir = fileURLToPath(new URL('../../../models/recsys_rank/1/', import.meta.url));
const meta = JSON.parse(readFileSync(`${dir}metadata.json`, 'utf8')) as ModelMetadata;
const fixture = JSON.parse(readFileSync(`${dir}fixture.json`, 'utf8')) as {
  batches: { request_id: string; from: number; to: number }[];
  vectors: (number | null)[][];
  onnxruntime: number[];
};
const width = meta.feature_set.names.length;
const model: WorkerModel = {
  key: `${meta.name}@${meta.version}:${meta.sha256}`,
  path: `${dir}${meta.file}`,
  input: meta.input,
  output: meta.output.name,
  column: meta.output.column,
  explain: false,
  reference: Float32Array.from(meta.reference_vector, (v) => (v === null ? Number.NaN : v)),
};
const pool = createScoringPool({ threads: 1 });
afterAll(() => pool.close());

describe('the committed ranking model recsys_rank@1', () => {
  it('takes recsys_core as declared: the feature set, version and order are its input contract', () => {
    expect(meta.feature_set).toEqual({
      name: recsysFeatureSet.name,
      version: recsysFeatureSet.version,
      names: recsysFeatureSet.names,
    });
  });

  it("scores each request's candidates as one micro-batch exactly as the Python onnxruntime did", async () => {
    expect(fixture.batches.length).toBeGreaterThan(1);
    for (const { from, to } of fixture.batches) {
      const rows = to - from;
      const vectors = new Float32Array(rows * width);
      fixture.vectors.slice(from, to).forEach((v, i) => {
        vectors.set(
          v.map((x) => (x === null ? Number.NaN : x)),
          i * width,
        );
      });
      const [result] = await pool.score({ models: [model], vectors, rows, width, explainMinScore: 1 });
      expect(result?.scores.length).toBe(rows);
      const expected = fixture.onnxruntime.slice(from, to);
      expected.forEach((score, i) => {
        expect(Math.abs((result?.scores[i] as number) - score)).toBeLessThan(1e-5);
      });
      // The ranking the decision engine would take: candidates by score, not all tied.
      expect(new Set(expected).size).toBeGreaterThan(1);
    }
  });
});
