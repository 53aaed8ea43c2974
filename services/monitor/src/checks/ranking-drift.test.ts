import { fraudFeatureSet, recsysFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { verdict } from '../figures.js';
import { parseThresholds } from '../thresholds.js';
import { candidateDriftFigures, rankingDriftCheck } from './ranking-drift.js';

const t = parseThresholds({ drift: { min_samples: 200 } }, fraudFeatureSet.names);
const names = recsysFeatureSet.names;

/** Deterministic vectors: feature i uniform on [0, 10), feature `shifted` (if any) tripled. */
function vectors(n: number, seed: number, shifted?: number): number[][] {
  let x = seed;
  const u = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  return Array.from({ length: n }, () => names.map((_, i) => (i === shifted ? 3 : 1) * 10 * u()));
}

describe('candidate feature drift', () => {
  it('finds the one shifted feature among the set, by the same PSI and KS as fraud features', () => {
    const shifted = names.indexOf('item_ctr_7d');
    const figures = candidateDriftFigures(names, vectors(2000, 1), vectors(1000, 2, shifted), t);
    expect(figures).toHaveLength(names.length * 2);
    const breached = [...new Set(figures.filter((f) => f.breached).map((f) => f.subject))];
    expect(breached).toEqual(['item_ctr_7d']);
    expect(figures.every((f) => f.kind === 'DRIFT' && f.judged)).toBe(true);
  });

  it('groups requests by ranking model and variant; without a reference window nothing is judged', async () => {
    const rows = (model_version: string, variant: string, seed: number) => ({
      model_name: 'recsys_rank',
      model_version,
      variant,
      vectors: vectors(300, seed),
    });
    const asked: string[] = [];
    const results = await rankingDriftCheck.run(
      {
        current: async () => [
          rows('1', 'control', 3),
          rows('1', 'greedy', 4),
          rows('1', 'control', 5),
          rows('2', 'control', 6),
        ],
        reference: async (from, to) => {
          asked.push(`${from}-${to}`);
          return vectors(1000, 7);
        },
        referenceWindow: async (m) => (m.model_version === '1' ? { from: 0, to: 10 } : undefined),
      },
      100,
      200,
      t,
    );
    expect(results.map((r) => `${r.model.model_version}/${r.variant}`)).toEqual(['1/control', '1/greedy']);
    // The reference is read once per window, however many variants use it.
    expect(asked).toEqual(['0-10']);
    expect(results[0]?.figures[0]?.n).toBe(600);
    expect(results[0]?.window).toEqual({ start: 100, end: 200, referenceStart: 0, referenceEnd: 10 });
    expect(results.map((r) => verdict(r.figures))).toEqual([false, false]);
    expect(rankingDriftCheck.retrains).toBe(false);
  });
});
