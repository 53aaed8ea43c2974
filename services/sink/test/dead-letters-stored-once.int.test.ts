import type { DeadLetter } from '@pipeline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness, simulatedEvents, TEST_TOKENS } from './fixtures.js';

const AT = Date.UTC(2026, 9, 9, 12);

describe('dead letters', () => {
  let h: Harness;
  let letters: DeadLetter[];
  let datedAs: Map<number, number>;
  const group = () => `${h.database}_dl`;

  beforeAll(async () => {
    h = await harness(2);
    const { enriched } = simulatedEvents({
      seed: 5,
      customers: 30,
      days: 1,
      startTime: AT - 86_400_000,
      labelsUntil: 0,
    });
    const base = {
      partition: 1,
      service: 'scorer',
      error_type: 'ValidationError',
      error: 'no',
      original_key: null,
      original_size: null,
    };
    // Dated ones (enriched bytes that decode), then undatable: another topic, garbage bytes, a tombstone.
    letters = [
      ...enriched.slice(0, 20).map((e, i) => ({
        ...base,
        topic: h.topics.enriched,
        offset: i,
        original_value: h.encodeEnriched(e),
        original_key: Buffer.from(e.transaction.customer_id),
        dead_lettered_at: AT + i,
      })),
      ...Array.from({ length: 9 }, (_, i) => ({
        ...base,
        topic: i < 5 ? h.topics.labels : h.topics.enriched,
        offset: 100 + i,
        service: 'features',
        error_type: 'MalformedMessageError',
        original_value: Buffer.from('not avro'),
        dead_lettered_at: AT + 100 + i,
      })),
      { ...base, topic: h.topics.enriched, offset: 200, original_value: null, dead_lettered_at: AT + 200 },
    ];
    datedAs = new Map(enriched.slice(0, 20).map((e, i) => [i, Math.floor(e.transaction.event_time / 1000)]));
  });
  afterAll(() => h.close());

  it('N in: N rows, dated by the transaction where it decodes; its own refusals are not dead-lettered again', async () => {
    // Two the sink cannot store: bytes that are no dead letter, a time DateTime cannot hold.
    const refused = { ...(letters[0] as DeadLetter), offset: 999, dead_lettered_at: -5_000 };
    await h.publishDeadLetters([...letters, refused], [Buffer.from('garbage')]);
    const total = letters.length + 2;
    await h.startSink({ groupId: group() });
    expect(await eventually(() => h.count('dead_letters'), letters.length, 30_000)).toBe(letters.length);
    expect(await eventually(() => h.committed(group(), h.topics.deadLettersIn), total, 20_000)).toBe(total);
    // Every message consumed and committed, and nothing went back onto the topic.
    expect(await h.deadLetterCount()).toBe(total);

    const result = await h.clickhouse.query({
      query: `SELECT offset, toUInt64(event_time) AS t, original_value_length AS len, original_key AS key, service
              FROM dead_letters FINAL ORDER BY offset`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ offset: string; t: string | null; len: number | null; key: string }>();
    expect(rows.map((r) => Number(r.offset))).toEqual(letters.map((l) => l.offset));
    expect(rows.slice(0, 20).map((r) => Number(r.t))).toEqual([...datedAs.values()]);
    expect(rows.slice(20).every((r) => r.t === null)).toBe(true);
    expect(rows[0]?.len).toBe(letters[0]?.original_value?.length);
    // The original key, a customer id, is stored as its token.
    expect(rows[0]?.key).toBe(TEST_TOKENS.token('customer', letters[0]?.original_key?.toString() ?? ''));
    expect(rows.at(-1)?.len).toBeNull();
  });

  it('redelivered (published again, and replayed by a new group): still N', async () => {
    await h.publishDeadLetters(letters);
    const total = 2 * letters.length + 2;
    await h.startSink({ groupId: `${group()}_replay`, batchSize: 7 });
    expect(await eventually(() => h.committed(`${group()}_replay`, h.topics.deadLettersIn), total, 30_000)).toBe(total);
    expect(await eventually(() => h.committed(group(), h.topics.deadLettersIn), total, 20_000)).toBe(total);
    expect(await h.count('dead_letters')).toBe(letters.length);
    expect(await h.deadLetterCount()).toBe(total);
  });
});
