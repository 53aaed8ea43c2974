import { describe, expect, it } from 'vitest';
import { createInFlight, type InFlightBatch } from './in-flight.js';

function deferred() {
  let resolve: () => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));
const batch = (partition: number, firstOffset: string): InFlightBatch => ({ topic: 't', partition, firstOffset });

describe('batches in flight', () => {
  it('makes a partition durable in offset order, whatever order its batches settle in', async () => {
    const inFlight = createInFlight(() => {});
    const durable: string[] = [];
    const [a, b, c] = [deferred(), deferred(), deferred()];
    inFlight.track(batch(0, '0'), a.promise, async () => void durable.push('p0@0'));
    inFlight.track(batch(0, '10'), b.promise, async () => void durable.push('p0@10'));
    inFlight.track(batch(1, '0'), c.promise, async () => void durable.push('p1@0'));
    expect(inFlight.size).toBe(3);
    b.resolve();
    c.resolve();
    await tick();
    // Partition 1 does not wait for partition 0; partition 0's second batch waits for its first.
    expect(durable).toEqual(['p1@0']);
    a.resolve();
    await inFlight.drain();
    expect(durable).toEqual(['p1@0', 'p0@0', 'p0@10']);
    expect(inFlight.size).toBe(0);
  });

  it('reports the first failed batch once and makes nothing after it durable', async () => {
    const failed: [string, unknown][] = [];
    const inFlight = createInFlight((b, error) => failed.push([b.firstOffset, error]));
    const durable: string[] = [];
    const boom = new Error('produce failed');
    inFlight.track(batch(0, '0'), Promise.resolve(), async () => void durable.push('0'));
    inFlight.track(batch(0, '5'), Promise.reject(boom), async () => void durable.push('5'));
    inFlight.track(batch(0, '9'), Promise.resolve(), async () => void durable.push('9'));
    inFlight.track(batch(0, '12'), Promise.reject(new Error('later')), async () => void durable.push('12'));
    await inFlight.drain();
    expect(durable).toEqual(['0']);
    expect(failed).toEqual([['5', boom]]);

    // Batches tracked after the failure (consumed again from it) are a new run of the partition.
    inFlight.track(batch(0, '5'), Promise.resolve(), async () => void durable.push('5 again'));
    await inFlight.drain();
    expect(durable).toEqual(['0', '5 again']);
  });

  it('a failing durable step counts as a failed batch', async () => {
    const failed: string[] = [];
    const inFlight = createInFlight((b) => failed.push(b.firstOffset));
    inFlight.track(batch(2, '3'), Promise.resolve(), async () => {
      throw new Error('commit hook failed');
    });
    await inFlight.drain();
    expect(failed).toEqual(['3']);
  });

  it('below(max) waits until fewer than max batches are in flight', async () => {
    const inFlight = createInFlight(() => {});
    const [a, b] = [deferred(), deferred()];
    inFlight.track(batch(0, '0'), a.promise, async () => {});
    inFlight.track(batch(1, '0'), b.promise, async () => {});
    let passed = false;
    const waiting = inFlight.below(2).then(() => {
      passed = true;
    });
    await tick();
    expect(passed).toBe(false);
    b.resolve();
    await waiting;
    expect(passed).toBe(true);
    expect(inFlight.size).toBe(1);
    a.resolve();
    await inFlight.drain();
  });
});
