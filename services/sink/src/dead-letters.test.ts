import { createLogger, createTokenizer, type DeadLetter, parseKeyRing, type Rejected } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { withoutLoop } from './dead-letters.js';
import { deadLetterRow, keyKindOf, withoutIds } from './tables/dead-letters.js';

const tokens = createTokenizer(parseKeyRing(`k1:${'x'.repeat(32)}`));

const rejected = (topic: string, offset: string): Rejected => ({
  topic,
  partition: 0,
  message: { key: null, value: Buffer.from('x'), offset },
  error: new Error('refused'),
});

describe('withoutLoop', () => {
  it('publishes refusals of other topics and drops those of the dead-letter topic it reads', async () => {
    const published: Rejected[][] = [];
    const publisher = withoutLoop(
      { publish: async (r) => void published.push([...r]) },
      'dl',
      createLogger('t', 'silent'),
    );
    await publisher.publish([rejected('enriched', '1'), rejected('dl', '2'), rejected('scores', '3')]);
    await publisher.publish([rejected('dl', '4')]);
    expect(published.map((batch) => batch.map((r) => `${r.topic}@${r.message.offset}`))).toEqual([
      ['enriched@1', 'scores@3'],
      [],
    ]);
  });
});

describe('deadLetterRow', () => {
  const letter: DeadLetter = {
    original_value: Buffer.from([0, 1, 2, 3]),
    original_key: Buffer.from('C1'),
    topic: 'transactions',
    partition: 2,
    offset: 41,
    error_type: 'MalformedMessageError',
    error: 'bad bytes',
    service: 'features',
    dead_lettered_at: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    original_size: null,
  };

  it('keeps the value length, not the bytes, and dates the row in seconds and ms', () => {
    const row = deadLetterRow(letter, Date.UTC(2026, 0, 2, 3, 0, 0, 999), tokens);
    expect(row).toMatchObject({
      original_value_length: 4,
      event_time: Date.UTC(2026, 0, 2, 3) / 1000,
      dead_lettered_at: Math.floor(letter.dead_lettered_at / 1000),
      dead_lettered_at_ms: letter.dead_lettered_at,
    });
    // The key is a customer id: stored as its token.
    expect(Buffer.from(row.original_key).toString()).toBe(tokens.token('customer', 'C1'));
  });

  it('withholds the id a refusal quotes, keeping the reason', () => {
    const error = 'invalid customer_id "C\\u00001": 1-128 printable characters, no whitespace';
    const row = deadLetterRow({ ...letter, error }, null, tokens);
    expect(row.error).toBe('invalid customer_id (withheld): 1-128 printable characters, no whitespace');
    expect(withoutIds('invalid terminal_id "T 1" and invalid currency "EURO"')).toBe(
      'invalid terminal_id (withheld) and invalid currency "EURO"',
    );
    expect(withoutIds('invalid user_id "U 1": 1-128 printable characters')).toBe(
      'invalid user_id (withheld): 1-128 printable characters',
    );
  });

  it('tokenizes the key of a topic keyed by user id as a user, any other as a customer', () => {
    const user = deadLetterRow(letter, null, tokens, keyKindOf('user_id'));
    expect(Buffer.from(user.original_key).toString()).toBe(tokens.token('user', 'C1'));
    expect(keyKindOf('customer_id')).toBe('customer');
    expect(keyKindOf(undefined)).toBe('customer');
  });

  it('stores the original size of a value dead-lettered in part', () => {
    expect(deadLetterRow({ ...letter, original_size: 2_000_000 }, null, tokens).original_value_length).toBe(2_000_000);
  });

  it('stores a tombstone and an undatable event time as NULL, but refuses a dead letter time DateTime cannot hold', () => {
    const row = deadLetterRow({ ...letter, original_value: null, original_key: null }, -1, tokens);
    expect(row).toMatchObject({ original_value_length: null, event_time: null });
    expect(() => deadLetterRow({ ...letter, dead_lettered_at: -5_000 }, null, tokens)).toThrow(/dead_lettered_at/);
  });
});
