import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { recordFromRow, selectList, storedFields } from './stored.js';

describe('rebuilding records from the sink’s rows', () => {
  const tx = storedFields('fraud/transaction');
  const label = storedFields('fraud/label');

  it('takes the fields from the schema, with how each is stored', () => {
    expect(tx.map((f) => f.name)).toEqual([
      'event_id',
      'event_time',
      'customer_id',
      'terminal_id',
      'amount_minor',
      'currency',
      'channel',
      'country',
      'device_hash',
      'ip_hash',
    ]);
    expect(tx.find((f) => f.name === 'event_time')?.kind).toBe('millis');
    expect(tx.find((f) => f.name === 'amount_minor')?.kind).toBe('long');
    expect(label.find((f) => f.name === 'is_fraud')?.kind).toBe('boolean');
    expect(label.find((f) => f.name === 'transaction_time')?.kind).toBe('millis');
  });

  it('selects times from their millisecond columns, whole seconds only where allowed, under names of their own', () => {
    const list = selectList(tx, ['event_time']);
    expect(list).toContain('toString(ifNull(event_time_ms, toUInt64(event_time) * 1000)) AS record_event_time');
    expect(list).toContain('toString(amount_minor) AS record_amount_minor');
    expect(list).toContain('channel AS record_channel');
    expect(selectList(label, [])).toContain('toString(transaction_time_ms) AS record_transaction_time');
  });

  it('rebuilds a transaction and a label that fit their schemas', () => {
    const t = recordFromRow<Transaction>('fraud/transaction', tx, {
      record_event_id: 'e1',
      record_event_time: '1767225600123',
      record_customer_id: 'c1',
      record_terminal_id: 't1',
      record_amount_minor: '12345',
      record_currency: 'EUR',
      record_channel: 'ECOM',
      record_country: 'PT',
      record_device_hash: null,
      record_ip_hash: 'abc',
    });
    expect(t).toEqual({
      event_id: 'e1',
      event_time: 1767225600123,
      customer_id: 'c1',
      terminal_id: 't1',
      amount_minor: 12345,
      currency: 'EUR',
      channel: 'ECOM',
      country: 'PT',
      device_hash: null,
      ip_hash: 'abc',
    });
    const l = recordFromRow<Label>('fraud/label', label, {
      record_transaction_id: 'e1',
      record_customer_id: 'c1',
      record_terminal_id: 't1',
      record_is_fraud: 1,
      record_label_time: '1767225700000',
      record_transaction_time: null,
    });
    expect(l).toMatchObject({ is_fraud: true, label_time: 1767225700000, transaction_time: null });
  });

  it('refuses a row that does not fit the schema, naming the field', () => {
    expect(() =>
      recordFromRow('fraud/transaction', tx, { record_event_id: 'e1', record_channel: 'TELEPATHY' }),
    ).toThrow(/does not fit the schema \(.*channel/);
  });
});
