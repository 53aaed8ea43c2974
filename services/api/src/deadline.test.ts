import { describe, expect, it } from 'vitest';
import { parseDeadline } from './deadline.js';

const bounds = { defaultMs: 100, minMs: 10, maxMs: 2000 };

describe('parseDeadline', () => {
  it('takes the default without the header and the header within the bounds', () => {
    expect(parseDeadline(undefined, bounds)).toEqual({ ok: true, ms: 100 });
    expect(parseDeadline('10', bounds)).toEqual({ ok: true, ms: 10 });
    expect(parseDeadline(' 2000 ', bounds)).toEqual({ ok: true, ms: 2000 });
  });

  it('refuses values outside the bounds or not integers, naming the header', () => {
    for (const bad of ['9', '2001', '-5', '1.5', 'soon', '', ['50', '60']]) {
      expect(parseDeadline(bad, bounds), String(bad)).toMatchObject({ ok: false, error: /^Decision-Deadline-Ms/ });
    }
  });
});
