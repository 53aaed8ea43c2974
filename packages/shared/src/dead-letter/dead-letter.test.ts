import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../errors.js';
import { toDeadLetter } from './dead-letter.js';

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
    });
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
