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

/** Lets `n` turns of the event loop go by. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('perTurn with maxInFlight', () => {
  it('holds later calls while a run is unsettled, then hands over all of them in one run', async () => {
    const runs: number[][] = [];
    const release: (() => void)[] = [];
    const send = perTurn(
      (items: number[]) => {
        runs.push(items);
        const done = new Promise<void>((r) => release.push(r));
        return items.map((n) => done.then(() => n));
      },
      { maxInFlight: 1 },
    );
    const first = send(1);
    await turns(1);
    const later = [send(2), send(3)];
    await turns(3);
    expect(runs).toEqual([[1]]);
    release[0]?.();
    expect(await first).toBe(1);
    await turns(2);
    expect(runs).toEqual([[1], [2, 3]]);
    release[1]?.();
    expect(await Promise.all(later)).toEqual([2, 3]);
  });

  it('counts a failed run as settled: the calls held behind it still go', async () => {
    const runs: number[][] = [];
    let fail = true;
    const send = perTurn(
      (items: number[]) => {
        runs.push(items);
        const outcome = fail ? Promise.reject(new Error('refused')) : Promise.resolve();
        fail = false;
        return items.map((n) => outcome.then(() => n));
      },
      { maxInFlight: 1 },
    );
    const first = Promise.allSettled([send(1)]);
    await turns(1);
    const second = send(2);
    const [[a], b] = await Promise.all([first, second.then((value) => ({ status: 'fulfilled', value }))]);
    expect(a).toMatchObject({ status: 'rejected', reason: new Error('refused') });
    expect(b).toEqual({ status: 'fulfilled', value: 2 });
    expect(runs).toEqual([[1], [2]]);
  });
});
