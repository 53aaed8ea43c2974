import { describe, expect, it } from 'vitest';
import { perTurn } from './per-turn.js';

describe('perTurn', () => {
  it('hands the calls of one turn over together, in call order, each caller settling with its own result', async () => {
    const runs: number[][] = [];
    const double = perTurn((items: number[]) => {
      runs.push(items);
      return items.map((n) => (n < 0 ? Promise.reject(new Error(`negative ${n}`)) : Promise.resolve(n * 2)));
    });
    const results = await Promise.allSettled([double(1), double(-2), double(3)]);
    expect(runs).toEqual([[1, -2, 3]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      2,
      'negative -2',
      6,
    ]);
    await double(5);
    expect(runs).toEqual([[1, -2, 3], [5]]);
  });

  it('rejects every call of the turn when run throws', async () => {
    const fail = perTurn<number, number>(() => {
      throw new Error('boom');
    });
    const results = await Promise.allSettled([fail(1), fail(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
