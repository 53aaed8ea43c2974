import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet as set } from '@pipeline/feature-sets';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../errors.js';
import { parquetInput } from './parquet-input.js';
import type { InputRecord } from './types.js';

type Column = Parameters<typeof parquetWriteBuffer>[0]['columnData'][number];

/** A Parquet file of `rows` rows: event ids e0..., feature j of row i = i + j / 100, columns in reverse order. */
function parquetFile(rows: number, edit: (columns: Column[]) => Column[] = (c) => c, rowGroupSize = 4): string {
  const features: Column[] = set.names.map((name, j) => ({
    name,
    data: Array.from({ length: rows }, (_, i) => i + j / 100),
    type: 'DOUBLE',
  }));
  const columns = edit([
    ...features.reverse(),
    { name: 'event_id', data: Array.from({ length: rows }, (_, i) => `e${i}`), type: 'STRING' },
    { name: 'is_fraud', data: Array.from({ length: rows }, () => false), type: 'BOOLEAN' },
  ]);
  const path = join(mkdtempSync(join(tmpdir(), 'batch-parquet-')), 'in.parquet');
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData: columns, rowGroupSize })));
  return path;
}

async function readAll(path: string): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const r of (await parquetInput(path, set)).records()) out.push(r);
  return out;
}

describe('parquetInput', () => {
  it('reads every row group, the columns by name in the feature set order, nulls as NaN', async () => {
    const path = parquetFile(10, (columns) =>
      columns.map((c) => (c.name === 'event_amount' ? { ...c, data: c.data.map((v, i) => (i === 3 ? null : v)) } : c)),
    );
    const records = await readAll(path);
    expect(records.map((r) => ('row' in r ? r.row.eventId : 'reject'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `e${i}`),
    );
    const row = (i: number) => (records[i] as { row: { values: number[] } }).row.values;
    expect(row(7)).toEqual(set.names.map((_, j) => 7 + j / 100));
    expect(row(3)[set.names.indexOf('event_amount')]).toBeNaN();
  });

  it('rejects a row whose value is not a number, naming the row and the column', async () => {
    const path = parquetFile(3, (columns) =>
      columns.map((c) =>
        c.name === 'event_hour_of_day' ? { name: c.name, data: ['1', 'late', '3'], type: 'STRING' } : c,
      ),
    );
    const records = await readAll(path);
    expect(records[1]).toEqual({
      reject: { where: 'row 2', eventId: 'e1', reason: "column event_hour_of_day: 'late' is not a number" },
    });
    expect('row' in (records[0] as InputRecord) && 'row' in (records[2] as InputRecord)).toBe(true);
  });

  it('stops on a schema without a feature column, and on a file that is not Parquet', async () => {
    const path = parquetFile(2, (columns) => columns.filter((c) => c.name !== 'terminal_fraud_rate_7d'));
    await expect(parquetInput(path, set)).rejects.toThrow(
      /in\.parquet: the Parquet schema lacks column terminal_fraud_rate_7d/,
    );
    const notParquet = join(mkdtempSync(join(tmpdir(), 'batch-parquet-')), 'x.parquet');
    writeFileSync(notParquet, 'event_id,a\n1,2\n');
    await expect(parquetInput(notParquet, set)).rejects.toThrow(BatchError);
  });
});
