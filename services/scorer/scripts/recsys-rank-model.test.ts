import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RECSYS_FEATURE_SETS, recsysFeatureSet } from '@pipeline/feature-sets';
import { afterAll, describe, expect, it } from 'vitest';
import { createScoringPool } from '../src/pool.js';
import { checkContract } from '../src/registry/contract.js';
import type { ModelMetadata } from '../src/registry/types.js';
import { SCORER_USE_CASES } from '../src/use-cases.js';
import type { WorkerModel } from '../src/worker.js';

// The committed ranking models (services/trainer/train_ranker.py) and their fixtures of whole requests.
const models = new URL('../../../models/', import.meta.url);
const read = <T>(path: string) => JSON.parse(readFileSync(fileURLToPath(new URL(path, models)), 'utf8')) as T;
const pool = createScoringPool({ threads: 1 });
afterAll(() => pool.close());

describe("recsys_core's champion in the committed registry", () => {
  it('takes the version the feature service, scorer and decision engine serve (recsysFeatureSet)', () => {
    const aliases = read<{ scopes: Record<string, { champion: string }> }>('aliases.json');
    const champion = aliases.scopes[recsysFeatureSet.name]?.champion as string;
    const meta = read<ModelMetadata>(`${champion.replace('@', '/')}/metadata.json`);
    expect(SCORER_USE_CASES.recsys.featureSet).toBe(recsysFeatureSet);
    expect(checkContract(meta, recsysFeatureSet)).toBeUndefined();
  });
});

describe.each([1, 2] as const)('the committed ranking model recsys_rank@%i', (version) => {
  const meta = read<ModelMetadata>(`recsys_rank/${version}/metadata.json`);
  const fixture = read<{
    batches: { request_id: string; from: number; to: number }[];
    vectors: (number | null)[][];
    onnxruntime: number[];
  }>(`recsys_rank/${version}/fixture.json`);
  const set = RECSYS_FEATURE_SETS[meta.feature_set.version as keyof typeof RECSYS_FEATURE_SETS];
  const width = meta.feature_set.names.length;
  const model: WorkerModel = {
    key: `${meta.name}@${meta.version}:${meta.sha256}`,
    path: fileURLToPath(new URL(`recsys_rank/${version}/${meta.file}`, models)),
    input: meta.input,
    output: meta.output.name,
    column: meta.output.column,
    explain: false,
    reference: Float32Array.from(meta.reference_vector, (v) => (v === null ? Number.NaN : v)),
  };

  it('takes recsys_core as declared: the feature set, version and order are its input contract', () => {
    expect(set).toBeDefined();
    expect(meta.feature_set).toEqual({ name: set.name, version: set.version, names: set.names });
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
