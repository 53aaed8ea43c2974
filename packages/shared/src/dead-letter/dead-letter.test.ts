import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../errors.js';
import { MAX_ORIGINAL_BYTES, toDeadLetter } from './dead-letter.js';

describe('toDeadLetter', () => {
  it('keeps the original bytes and origin, and names the error', () => {
    const value = Buffer.from([0xde, 0xad]);
    const letter = toDeadLetter(
      {
        topic: 'transactions',
        partition: 4,
        message: { key: Buffer.from('c-1'), value, offset: '17' },
        error: new MalformedMessageError('unknown magic byte 222 (expected 0)'),
      },
      'features',
      1_700_000_000_000,
    );
    expect(letter).toEqual({
      original_value: value,
      original_key: Buffer.from('c-1'),
      topic: 'transactions',
      partition: 4,
      offset: 17,
      error_type: 'MalformedMessageError',
      error: 'unknown magic byte 222 (expected 0)',
      service: 'features',
      dead_lettered_at: 1_700_000_000_000,
      original_size: null,
    });
  });

  it('keeps the first bytes of a value too large to dead-letter whole, its size, and a bounded reason', () => {
    const value = Buffer.alloc(MAX_ORIGINAL_BYTES * 14, 7);
    const letter = toDeadLetter(
      {
        topic: 'transactions',
        partition: 1,
        message: { key: Buffer.alloc(MAX_ORIGINAL_BYTES + 1, 1), value, offset: '5' },
        error: new MalformedMessageError(`bad: ${'x'.repeat(100_000)}`),
      },
      'features',
      0,
    );
    expect(letter.original_value).toEqual(value.subarray(0, MAX_ORIGINAL_BYTES));
    expect(letter.original_size).toBe(value.length);
    expect(letter.original_key).toHaveLength(MAX_ORIGINAL_BYTES);
    expect(letter.error.length).toBeLessThan(5_000);
    expect(letter.error).toMatch(/^bad: x+… \(100005 characters\)$/);
    expect(letter.offset).toBe(5);
  });

  it('describes a thrown non-Error', () => {
    const letter = toDeadLetter(
      { topic: 't', partition: 0, message: { key: null, value: null, offset: '0' }, error: 'plain string' },
      's',
      0,
    );
    expect(letter.error_type).toBe('string');
    expect(letter.error).toBe('plain string');
  });
});
