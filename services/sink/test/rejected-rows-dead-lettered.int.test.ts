import { createAvroSerde, createRegistryClient, type DeadLetter } from '@pipeline/shared';
import { readMessages, servers } from '@pipeline/testing';
import { type EnrichedTransaction, schemaFor } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, harness, simulatedEvents } from './fixtures.js';

describe('rows ClickHouse refuses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(1);
  });
  afterAll(() => h.close());

  it('go to the dead-letter topic with the reason; the rest of the batch lands', async () => {
    const start = Date.UTC(2026, 9, 9);
    const events = simulatedEvents({ seed: 31, customers: 100, days: 1, startTime: start, labelsUntil: start });
    // Without a device hash, so that only the two below are too long for the narrowed column.
    const good = events.enriched
      .slice(0, 150)
      .map((e) => ({ ...e, transaction: { ...e.transaction, device_hash: null } }));
    const withDevice = (e: EnrichedTransaction, device_hash: string): EnrichedTransaction => ({
      ...e,
      transaction: { ...e.transaction, event_id: `${e.transaction.event_id}-bad`, device_hash },
    });
    // Hashes the contract accepts, too long for the column as narrowed for this test: only ClickHouse
    // refuses them, inside a batch it takes otherwise. A time before 2000 the contract refuses first.
    await h.clickhouse.command({
      query: 'ALTER TABLE transactions_enriched MODIFY COLUMN device_hash Nullable(FixedString(8))',
    });
    const refusedByClickHouse = [
      withDevice(good[10] as EnrichedTransaction, 'device-0123456789'),
      withDevice(good[90] as EnrichedTransaction, 'device-abcdefghij'),
    ];
    const tooEarly: EnrichedTransaction = {
      ...(good[40] as EnrichedTransaction),
      transaction: { ...(good[40] as EnrichedTransaction).transaction, event_id: 'too-early', event_time: -86_400_000 },
    };
    const batch = [
      ...good.slice(0, 50),
      refusedByClickHouse[0],
      ...good.slice(50, 100),
      tooEarly,
      refusedByClickHouse[1],
      ...good.slice(100),
    ] as EnrichedTransaction[];
    await h.publish({ enriched: batch });
    // One insert holds the whole batch, so the bad rows must be found inside it.
    await h.startSink({ batchSize: 1_000, flushIntervalMs: 300 });

    const messages = await readMessages(h.kafka, h.topics.deadLetters, 3, 45_000);
    const decoder = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL)).decoder<DeadLetter>(
      schemaFor('pipeline/dead-letter').type,
    );
    await decoder.prepare(messages.map((m) => m.value));
    const letters = messages.map((m) => decoder.decode(m.value)).sort((a, b) => a.offset - b.offset);
    expect(letters.map((l) => [l.topic, l.offset, l.error_type, l.service])).toEqual([
      [h.topics.enriched, 50, 'RowRejectedError', 'sink-test'],
      [h.topics.enriched, 101, 'RowRejectedError', 'sink-test'],
      [h.topics.enriched, 102, 'RowRejectedError', 'sink-test'],
    ]);
    expect(letters[0]?.error).toMatch(/^ClickHouse refused the row: Too large value for FixedString\(8\)/);
    expect(letters[1]?.error).toBe('invalid event_time -86400000: epoch milliseconds from 2000 to 2100');
    expect(letters[2]?.error).toMatch(/FixedString\(8\)/);
    // The original bytes travel with the reason.
    expect(letters[0]?.original_value?.length).toBeGreaterThan(0);

    expect(await eventually(() => h.count('transactions_enriched'), good.length, 30_000)).toBe(good.length);
    const result = await h.clickhouse.query({
      query: "SELECT count() AS n FROM transactions_enriched WHERE event_id LIKE '%-bad' OR event_id = 'too-early'",
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: '0' }]);
    expect(await h.deadLetterCount()).toBe(3);
  });
});
