import { describe, expect, it } from 'vitest';
import { type Clock, createMicroBatcher } from './batcher.js';

function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: Clock = {
    setTimeout: (fn, ms) => {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) {
      if (t.at <= now) {
        timers.delete(id);
        t.fn();
      }
    }
  };
  return { clock, advance, pending: () => timers.size };
}

const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('micro-batcher', () => {
  it('flushes at maxSize without waiting', async () => {
    const { clock, pending } = fakeClock();
    const batches: number[][] = [];
    const b = createMicroBatcher<number, number>({
      maxSize: 3,
      maxWaitMs: 50,
      clock,
      run: async (items) => {
        batches.push(items);
        return items.map((x) => x * 10);
      },
    });
    const results = await Promise.all([1, 2, 3].map((x) => b.add(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(pending()).toBe(0);
  });

  it('a lone item is flushed after maxWaitMs, not before', async () => {
    const { clock, advance } = fakeClock();
    const batches: number[][] = [];
    const b = createMicroBatcher<number, number>({
      maxSize: 100,
      maxWaitMs: 5,
      clock,
      run: async (items) => {
        batches.push(items);
        return items;
      },
    });
    const p = b.add(7);
    advance(4);
    await flushMicrotasks();
    expect(batches).toEqual([]);
    b.add(8);
    advance(1);
    expect(await p).toBe(7);
    expect(batches).toEqual([[7, 8]]);
  });

  it('splits a burst into batches of at most maxSize, in order', async () => {
    const { clock, advance } = fakeClock();
    const batches: number[][] = [];
    const b = createMicroBatcher<number, number>({
      maxSize: 4,
      maxWaitMs: 2,
      clock,
      run: async (items) => {
        batches.push(items);
        return items;
      },
    });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => b.add(i)));
    advance(2);
    expect(await all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.map((x) => x.length)).toEqual([4, 4, 2]);
  });

  it('a failed batch rejects its own items only', async () => {
    const { clock, advance } = fakeClock();
    const b = createMicroBatcher<number, number>({
      maxSize: 2,
      maxWaitMs: 1,
      clock,
      run: async (items) => {
        if (items.includes(1)) throw new Error('boom');
        return items;
      },
    });
    const a = b.add(1);
    const c = b.add(2);
    const d = b.add(3);
    advance(1);
    await expect(a).rejects.toThrow('boom');
    await expect(c).rejects.toThrow('boom');
    expect(await d).toBe(3);
  });
});
