import { createClickHouse, createLogger, identifier, migrate, sql } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyBefore, readHistory } from '../src/backtest/stored.js';

const SECOND = 1000;
const t0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** The sink's tables (every migration) holding rows written before and after event_time_ms existed. */
describe('the backtest reads production’s stored history', () => {
  const database = uniqueName('backtest_stored');
  const client = createClickHouse(servers(), database);

  beforeAll(async () => {
    await migrate({ url: servers(), database, logger: createLogger('backtest-test', 'silent') });
    const tx = (id: string, ms: number, stored: number | null, customer = 'c1') =>
      sql`(${id}, toDateTime(${Math.floor(ms / 1000)}), ${customer}, 't1', 1234, 'EUR', 'ECOM', 'PT', NULL, 'ip', 'fraud_core', 2, [1, nan], toDateTime(${Math.floor(ms / 1000)}), ${ms + 5}, ${stored})`;
    const rows = [
      tx('before', t0 - 10 * SECOND, t0 - 10 * SECOND, 'c0'),
      tx('old', t0 + 1_250, null), // stored before the millisecond column: whole seconds
      tx('new', t0 + 2_750, t0 + 2_750),
      tx('late', t0 + 90 * SECOND, t0 + 90 * SECOND),
    ];
    await client.command({
      query: `INSERT INTO transactions_enriched (event_id, event_time, customer_id, terminal_id, amount_minor, currency, channel, country, device_hash, ip_hash, feature_set, feature_set_version, feature_values, computed_at, computed_at_ms, event_time_ms) VALUES ${rows.join(', ')}`,
    });
    await client.command({
      query: sql`INSERT INTO labels (transaction_id, customer_id, terminal_id, is_fraud, label_time, label_time_ms, transaction_time_ms)
        VALUES ('old', 'c1', 't1', 1, toDateTime(${Math.floor((t0 + 2_000) / 1000)}), ${t0 + 2_000}, ${t0 + 1_250}),
               ('new', 'c1', 't1', 0, toDateTime(${Math.floor((t0 + 3_000) / 1000)}), ${t0 + 3_000}, NULL)`,
    });
  });

  afterAll(async () => {
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
    await client.close();
  });

  it('rebuilds transactions and labels of [from, to) in time order, whole seconds where no milliseconds were stored', async () => {
    const history = await readHistory(client, t0, t0 + 60 * SECOND);
    expect(history.events.map((e) => [e.kind, e.time])).toEqual([
      ['transaction', t0 + 1_000],
      ['label', t0 + 2_000],
      ['transaction', t0 + 2_750],
      ['label', t0 + 3_000],
    ]);
    expect(history.events[2]?.value).toEqual({
      event_id: 'new',
      event_time: t0 + 2_750,
      customer_id: 'c1',
      terminal_id: 't1',
      amount_minor: 1234,
      currency: 'EUR',
      channel: 'ECOM',
      country: 'PT',
      device_hash: null,
      ip_hash: 'ip',
    });
    expect(history.events[1]?.value).toMatchObject({
      transaction_id: 'old',
      is_fraud: true,
      transaction_time: t0 + 1_250,
    });
    // A label stored without its transaction's time is rebuilt as it was: the feature service refuses it.
    expect(history.events[3]?.value).toMatchObject({ transaction_id: 'new', is_fraud: false, transaction_time: null });
    expect(history.transactions.map((t) => [t.eventId, t.secondsOnly])).toEqual([
      ['old', true],
      ['new', false],
    ]);
    expect(history.amounts.get('new')).toBe(1234);
  });

  it('finds the first stored transaction and the customers with one before a time', async () => {
    expect(await historyBefore(client, t0)).toEqual({
      historyStartMs: t0 - 10 * SECOND,
      customersBefore: new Set(['c0']),
    });
    const later = await historyBefore(client, t0 + 2_000);
    expect(later.customersBefore).toEqual(new Set(['c0', 'c1']));
  });
});
