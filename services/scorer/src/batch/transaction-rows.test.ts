import { describe, expect, it } from 'vitest';
import { BatchError } from '../errors.js';
import { LABEL_FIELDS, TRANSACTION_FIELDS, transactionColumns, transactionRecord } from './transaction-rows.js';

const HEADER = [
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
];
const ROW = ['e1', '1767225600000', 'c1', 't1', '1250', 'EUR', 'ECOM', 'FR', 'dev', ''];
const columns = transactionColumns(HEADER, 'f.csv', ' line 1');
const withLabels = transactionColumns([...HEADER, 'is_fraud', 'label_time'], 'f.csv', ' line 1');
const set = (row: string[], column: string, value: string) => {
  const copy = [...row];
  copy[HEADER.indexOf(column)] = value;
  return copy;
};

describe('transaction columns', () => {
  it('are derived from the Avro schemas: the transaction’s fields and the label’s own', () => {
    expect(TRANSACTION_FIELDS.map((f) => f.name)).toEqual(HEADER);
    expect(LABEL_FIELDS.map((f) => f.name)).toEqual(['is_fraud', 'label_time']);
    expect(TRANSACTION_FIELDS.filter((f) => f.optional).map((f) => f.name)).toEqual(['device_hash', 'ip_hash']);
  });

  it('refuse a header without a required field, naming it', () => {
    expect(() =>
      transactionColumns(
        HEADER.filter((h) => h !== 'amount_minor'),
        'f.csv',
        ' line 1',
      ),
    ).toThrow(/f\.csv line 1 lacks amount_minor/);
    expect(() =>
      transactionColumns(
        HEADER.filter((h) => h !== 'amount_minor'),
        'f.csv',
        ' line 1',
      ),
    ).toThrow(BatchError);
  });

  it('refuse a repeated column and half the label columns', () => {
    expect(() => transactionColumns([...HEADER, 'country'], 'f.csv', '')).toThrow(/repeats country/);
    expect(() => transactionColumns([...HEADER, 'is_fraud'], 'f.csv', '')).toThrow(
      /has is_fraud without label_time \(label columns go together\)/,
    );
  });

  it('take the optional hashes as absent (null) when their columns are missing', () => {
    const short = transactionColumns(
      HEADER.filter((h) => !h.endsWith('_hash')),
      'f.csv',
      '',
    );
    const record = transactionRecord(ROW.slice(0, 8), 'line 2', short);
    expect(record).toEqual({
      row: expect.objectContaining({ tx: expect.objectContaining({ device_hash: null, ip_hash: null }) }),
    });
  });
});

describe('a transaction row', () => {
  it('becomes the transaction the schema describes, an empty nullable cell null', () => {
    expect(transactionRecord(ROW, 'line 2', columns)).toEqual({
      row: {
        where: 'line 2',
        label: null,
        tx: {
          event_id: 'e1',
          event_time: 1767225600000,
          customer_id: 'c1',
          terminal_id: 't1',
          amount_minor: 1250,
          currency: 'EUR',
          channel: 'ECOM',
          country: 'FR',
          device_hash: 'dev',
          ip_hash: null,
        },
      },
    });
  });

  it('takes a time as ISO 8601 with its zone, and Parquet’s typed cells', () => {
    const iso = transactionRecord(set(ROW, 'event_time', '2026-01-01T00:00:00.000Z'), 'line 2', columns);
    expect('row' in iso && iso.row.tx.event_time).toBe(1767225600000);
    const typed = [...ROW] as unknown[];
    typed[1] = new Date(1767225600000);
    typed[4] = 1250n;
    const parquet = transactionRecord(typed, 'row 1', columns);
    expect('row' in parquet && [parquet.row.tx.event_time, parquet.row.tx.amount_minor]).toEqual([1767225600000, 1250]);
  });

  it.each([
    ['amount_minor', '12.50', "column amount_minor: '12.50' is not an integer"],
    ['event_time', 'yesterday', "column event_time: 'yesterday' is not epoch milliseconds or an ISO 8601 time"],
    ['channel', 'PHONE', "column channel: 'PHONE' is not one of POS, ECOM, ATM, MOTO"],
    ['customer_id', '', 'column customer_id is empty'],
  ])('with a bad %s is rejected with the reason', (column, value, reason) => {
    const record = transactionRecord(set(ROW, column, value), 'line 9', columns);
    expect(record).toEqual({ reject: { where: 'line 9', eventId: 'e1', reason: expect.stringContaining(reason) } });
  });

  it('without an event id is rejected with a null id', () => {
    expect(transactionRecord(set(ROW, 'event_id', ' '), 'line 3', columns)).toEqual({
      reject: { where: 'line 3', eventId: null, reason: 'column event_id is empty' },
    });
  });
});

describe('a row with NULL cells (a query’s \\N)', () => {
  const withNull = (row: unknown[], column: string) => {
    const copy = [...row];
    copy[HEADER.indexOf(column)] = null;
    return copy;
  };

  it('takes a NULL in a nullable field as null, as an empty CSV cell', () => {
    const record = transactionRecord(withNull(withNull(ROW, 'device_hash'), 'ip_hash'), 'row 2', columns);
    expect('row' in record && [record.row.tx.device_hash, record.row.tx.ip_hash]).toEqual([null, null]);
  });

  it.each(['customer_id', 'event_time', 'amount_minor', 'channel'])(
    'rejects a NULL in the required %s, naming it',
    (column) => {
      expect(transactionRecord(withNull(ROW, column), 'row 3', columns)).toEqual({
        reject: { where: 'row 3', eventId: 'e1', reason: `column ${column} is empty` },
      });
    },
  );

  it('rejects a NULL event id with a null id', () => {
    expect(transactionRecord(withNull(ROW, 'event_id'), 'row 4', columns)).toEqual({
      reject: { where: 'row 4', eventId: null, reason: 'column event_id is empty' },
    });
  });

  it('has no label when both label cells are NULL (a LEFT JOIN without a label), half a label when one is', () => {
    const none = transactionRecord([...ROW, null, null], 'row 5', withLabels);
    expect(none).toEqual({ row: expect.objectContaining({ label: null }) });
    expect(transactionRecord([...ROW, '1', null], 'row 6', withLabels)).toEqual({
      reject: {
        where: 'row 6',
        eventId: 'e1',
        reason: 'label columns is_fraud, label_time are all set or all empty',
      },
    });
    const labelled = transactionRecord([...ROW, '0', '1767229200000'], 'row 7', withLabels);
    expect('row' in labelled && labelled.row.label).toMatchObject({ is_fraud: false, label_time: 1767229200000 });
  });
});

describe('a row’s label', () => {
  it('is built from the transaction’s own fields and the label columns', () => {
    const record = transactionRecord([...ROW, 'true', '1767229200000'], 'line 2', withLabels);
    expect('row' in record && record.row.label).toEqual({
      transaction_id: 'e1',
      transaction_time: 1767225600000,
      customer_id: 'c1',
      terminal_id: 't1',
      is_fraud: true,
      label_time: 1767229200000,
    });
  });

  it('is absent when both label cells are empty', () => {
    const record = transactionRecord([...ROW, '', ''], 'line 2', withLabels);
    expect('row' in record && record.row.label).toBeNull();
  });

  it.each([
    [['true', ''], 'label columns is_fraud, label_time are all set or all empty'],
    [['maybe', '1767229200000'], "column is_fraud: 'maybe' is not true or false"],
    [['1', '1767222000000'], 'label: transaction_time 1767225600000 is after label_time 1767222000000'],
  ])('%j is rejected with the reason', (cells, reason) => {
    expect(transactionRecord([...ROW, ...cells], 'line 4', withLabels)).toEqual({
      reject: { where: 'line 4', eventId: 'e1', reason },
    });
  });
});
