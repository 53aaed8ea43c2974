import { describe, expect, it } from 'vitest';
import { drawPool } from './draw-pool.js';
import { seededRandom } from './rank.js';

describe('drawPool', () => {
  it('finds the j-th position still in, as a list with the removed ones spliced out would', () => {
    const random = seededRandom('draw-pool');
    for (const size of [0, 1, 2, 3, 7, 8, 9, 64, 100]) {
      const pool = drawPool(size);
      const list = Array.from({ length: size }, (_, i) => i);
      while (list.length > 0) {
        expect(pool.size).toBe(list.length);
        expect(Array.from({ length: list.length }, (_, j) => pool.nth(j))).toEqual(list);
        const j = Math.floor(random() * list.length);
        pool.remove(list[j] as number);
        list.splice(j, 1);
      }
      expect(pool.size).toBe(0);
    }
  });

  it('keeps a position out when it is removed again', () => {
    const pool = drawPool(4);
    pool.remove(1);
    pool.remove(1);
    expect(pool.size).toBe(3);
    expect([0, 1, 2].map((j) => pool.nth(j))).toEqual([0, 2, 3]);
  });

  it('refuses a rank or a position outside the pool', () => {
    const pool = drawPool(3);
    pool.remove(0);
    expect(() => pool.nth(2)).toThrow(RangeError);
    expect(() => pool.nth(-1)).toThrow(RangeError);
    expect(() => pool.nth(0.5)).toThrow(RangeError);
    expect(() => pool.remove(3)).toThrow(RangeError);
    expect(() => drawPool(0).nth(0)).toThrow(RangeError);
  });
});
