import { describe, expect, it } from 'vitest';
import { lazily } from './lazy.js';

describe('lazily', () => {
  it('connects once for every caller, and again after a failure', async () => {
    let calls = 0;
    const get = lazily(async () => {
      calls += 1;
      if (calls === 1) throw new Error('down');
      return calls;
    });
    await expect(get()).rejects.toThrow('down');
    expect(await Promise.all([get(), get()])).toEqual([2, 2]);
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });
});
