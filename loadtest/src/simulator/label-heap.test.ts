import { describe, expect, it } from 'vitest';
import { LabelHeap } from './label-heap.js';
import { Random } from './random.js';

describe('LabelHeap', () => {
  it('pops in time order with each payload intact, across growth and slot reuse', () => {
    const heap = new LabelHeap();
    const rng = new Random(3);
    const popped: {
      time: number;
      sequence: number;
      customer: number;
      terminal: number;
      fraud: boolean;
      transactionTime: number;
    }[] = [];
    const pushed = new Map<number, number>();
    let sequence = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) {
        const time = rng.below(1_000_000);
        pushed.set(sequence, time);
        heap.push(time, sequence % 97, sequence % 89, sequence, sequence % 5 === 0, time - sequence);
        sequence++;
      }
      for (let i = 0; i < 300; i++) {
        const time = heap.peekTime();
        const slot = heap.pop();
        popped.push({
          time,
          sequence: heap.sequenceOf(slot),
          customer: heap.customerOf(slot),
          terminal: heap.terminalOf(slot),
          fraud: heap.isFraud(slot),
          transactionTime: heap.transactionTimeOf(slot),
        });
      }
    }
    while (heap.size > 0) {
      const time = heap.peekTime();
      const slot = heap.pop();
      const s = heap.sequenceOf(slot);
      popped.push({
        time,
        sequence: s,
        customer: heap.customerOf(slot),
        terminal: heap.terminalOf(slot),
        fraud: heap.isFraud(slot),
        transactionTime: heap.transactionTimeOf(slot),
      });
    }
    expect(heap.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(popped).toHaveLength(10_000);
    expect(new Set(popped.map((p) => p.sequence)).size).toBe(10_000);
    for (const p of popped) {
      expect(p.time).toBe(pushed.get(p.sequence));
      expect([p.customer, p.terminal, p.fraud, p.transactionTime]).toEqual([
        p.sequence % 97,
        p.sequence % 89,
        p.sequence % 5 === 0,
        p.time - p.sequence,
      ]);
    }
    // Each batch of pops (between pushes) and the final drain come out in non-decreasing time.
    for (let start = 0; start < popped.length; start += 300) {
      const batch = popped.slice(start, start === 6_000 ? undefined : start + 300).map((p) => p.time);
      expect(batch).toEqual([...batch].sort((a, b) => a - b));
      if (start === 6_000) break;
    }
  });
});
