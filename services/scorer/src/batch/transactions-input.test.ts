import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { TransactionRecord } from './transaction-rows.js';
import { csvTransactions, parquetTransactions, removePrefix } from './transactions-input.js';

const dir = () => mkdtempSync(join(tmpdir(), 'batch-tx-'));
const T0 = Date.UTC(2026, 0, 1);

async function readAll(source: { records(): AsyncIterable<TransactionRecord> }): Promise<TransactionRecord[]> {
  const out: TransactionRecord[] = [];
  for await (const r of source.records()) out.push(r);
  return out;
}

describe('parquetTransactions', () => {
  it('reads typed columns (int64 times and amounts, booleans) into transactions and labels, a bad cell rejected', async () => {
    const n = 3;
    const path = join(dir(), 'tx.parquet');
    const columnData = [
      { name: 'event_id', data: ['a', 'b', 'c'], type: 'STRING' as const },
      { name: 'event_time', data: [0, 1, 2].map((i) => BigInt(T0 + i * 1000)), type: 'INT64' as const },
      { name: 'customer_id', data: ['c1', 'c1', 'c2'], type: 'STRING' as const },
      { name: 'terminal_id', data: ['t1', 't2', 't1'], type: 'STRING' as const },
      { name: 'amount_minor', data: [100n, 200n, 300n], type: 'INT64' as const },
      { name: 'currency', data: Array(n).fill('EUR'), type: 'STRING' as const },
      { name: 'channel', data: ['POS', 'ECOM', 'BARTER'], type: 'STRING' as const },
      { name: 'country', data: Array(n).fill('PT'), type: 'STRING' as const },
      { name: 'is_fraud', data: [true, null, null], type: 'BOOLEAN' as const },
      { name: 'label_time', data: [BigInt(T0 + 86_400_000), null, null], type: 'INT64' as const },
    ];
    writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 2 })));
    const source = await parquetTransactions(path);
    const records = await readAll(source);
    expect(records[0]).toEqual({
      row: {
        where: 'row 1',
        tx: {
          event_id: 'a',
          event_time: T0,
          customer_id: 'c1',
          terminal_id: 't1',
          amount_minor: 100,
          currency: 'EUR',
          channel: 'POS',
          country: 'PT',
          device_hash: null,
          ip_hash: null,
        },
        label: {
          transaction_id: 'a',
          transaction_time: T0,
          customer_id: 'c1',
          terminal_id: 't1',
          is_fraud: true,
          label_time: T0 + 86_400_000,
        },
      },
    });
    expect(records[1]).toMatchObject({ row: { where: 'row 2', label: null } });
    expect(records[2]).toEqual({
      reject: { where: 'row 3', eventId: 'c', reason: "column channel: 'BARTER' is not one of POS, ECOM, ATM, MOTO" },
    });
    expect(source.fraction()).toBe(1);
  });
});

describe('csvTransactions', () => {
  it('rejects a line with the wrong number of fields, naming the line', async () => {
    const path = join(dir(), 'tx.csv');
    writeFileSync(
      path,
      'event_id,event_time,customer_id,terminal_id,amount_minor,currency,channel,country\n' +
        `a,${T0},c1,t1,100,EUR,POS,PT\n` +
        'b,1,2\n',
    );
    const records = await readAll(await csvTransactions(path));
    expect(records[0]).toMatchObject({ row: { tx: { event_id: 'a', amount_minor: 100 } } });
    expect(records[1]).toEqual({
      reject: { where: 'line 3', eventId: 'b', reason: '3 fields where the header has 8' },
    });
  });

  it('stops on an empty file', async () => {
    const path = join(dir(), 'empty.csv');
    writeFileSync(path, '');
    await expect(readAll(await csvTransactions(path))).rejects.toThrow(/is empty: no header line/);
  });
});

describe('removePrefix', () => {
  it('refuses a prefix that is not a batch run’s (it would delete production state)', async () => {
    await expect(removePrefix({} as never, 'f:')).rejects.toThrow(/not a batch prefix/);
  });
});
