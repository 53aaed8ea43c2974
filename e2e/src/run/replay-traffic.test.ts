import { describe, expect, it } from 'vitest';
import { slowAllowance } from './replay-traffic.js';

describe('slowAllowance', () => {
  it('allows up to the cap beyond what was consumed', () => {
    expect(slowAllowance(0, 0, 2000)).toBe(2000);
    expect(slowAllowance(5000, 4000, 2000)).toBe(1000);
    expect(slowAllowance(5000, 5000, 2000)).toBe(2000);
  });

  it('waits until a quarter of the cap is free, and never goes past it', () => {
    expect(slowAllowance(5000, 3400, 2000)).toBe(0);
    expect(slowAllowance(5000, 3500, 2000)).toBe(500);
    expect(slowAllowance(9000, 1000, 2000)).toBe(0);
  });

  it('treats a consumer count ahead of the publisher (offsets of an earlier try) as no lag', () => {
    expect(slowAllowance(100, 300, 2000)).toBe(2000);
  });
});
