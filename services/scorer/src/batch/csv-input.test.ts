import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet as set } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../errors.js';
import { csvColumns, csvInput, csvRecord } from './csv-input.js';
import type { InputRecord } from './types.js';

const header = ['event_id', ...set.names];
const values = set.names.map((_, j) => String(j + 0.5));

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'batch-csv-')), 'in.csv');
  writeFileSync(path, text);
  return path;
}

async function readAll(path: string): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const r of (await csvInput(path, set)).records()) out.push(r);
  return out;
}

describe('csvColumns (the header)', () => {
  it('finds event_id and the feature columns in any order and ignores extra ones', () => {
    const shuffled = ['is_fraud', ...[...set.names].reverse(), 'event_id'];
    const columns = csvColumns(shuffled, set, 'in.csv');
    expect(columns.eventId).toBe(shuffled.length - 1);
    expect(columns.features.map((i) => shuffled[i])).toEqual(set.names);
  });

  it('stops the run naming a missing column, and the unknown one that is likely its typo', () => {
    const typo = header.map((h) => (h === 'customer_amount_sum_1h' ? 'customer_amount_sum_1hr' : h));
    expect(() => csvColumns(typo, set, 'in.csv')).toThrow(BatchError);
    expect(() => csvColumns(typo, set, 'in.csv')).toThrow(
      /in\.csv line 1: the header lacks column customer_amount_sum_1h \(columns it has that fraud_core does not: customer_amount_sum_1hr\)/,
    );
    expect(() => csvColumns(set.names, set, 'in.csv')).toThrow(/lacks column event_id/);
  });

  it('stops the run on a repeated column', () => {
    expect(() => csvColumns([...header, 'event_amount'], set, 'in.csv')).toThrow(/repeats event_amount/);
  });
});

describe('csvRecord (a data line)', () => {
  const columns = csvColumns(header, set, 'in.csv');

  it('reads the event id and the values in the feature set order, empty and nan as NaN', () => {
    const fields = ['e1', ...values];
    fields[1] = '';
    fields[2] = 'nan';
    const record = csvRecord(fields, 2, columns);
    expect('row' in record && record.row.eventId).toBe('e1');
    const row = (record as { row: { values: number[] } }).row.values;
    expect(row[0]).toBeNaN();
    expect(row[1]).toBeNaN();
    expect(row.slice(2)).toEqual(values.slice(2).map(Number));
  });

  it('rejects a non-numeric value naming the line and the column', () => {
    const fields = ['e7', ...values];
    fields[header.indexOf('event_amount')] = '12,50 EUR';
    expect(csvRecord(fields, 7, columns)).toEqual({
      reject: { where: 'line 7', eventId: 'e7', reason: "column event_amount: '12,50 EUR' is not a number" },
    });
  });

  it('rejects a line with a missing field, and one without an event id', () => {
    expect(csvRecord(['e8', ...values.slice(1)], 8, columns)).toEqual({
      reject: { where: 'line 8', eventId: 'e8', reason: '35 fields where the header has 36' },
    });
    expect(csvRecord(['', ...values], 9, columns)).toEqual({
      reject: { where: 'line 9', eventId: null, reason: 'column event_id is empty' },
    });
  });
});

describe('csvInput (a file)', () => {
  it('yields rows and rejects with their file line numbers, quoted fields and blank lines included', async () => {
    const lines = [
      header.join(','),
      ['"id,with comma"', ...values].join(','),
      '',
      ['e2', ...values.slice(0, -1), 'x'].join(','),
      ['e3', ...values].join(','),
    ];
    const records = await readAll(file(`${lines.join('\n')}\n`));
    expect(records.map((r) => ('row' in r ? r.row.eventId : r.reject.where))).toEqual([
      'id,with comma',
      'line 4',
      'e3',
    ]);
    expect(records[1]).toEqual({
      reject: { where: 'line 4', eventId: 'e2', reason: "column event_country_index: 'x' is not a number" },
    });
  });

  it('stops on a wrong header before any row, and on an empty file', async () => {
    const bad = header.filter((h) => h !== 'event_hour_of_day');
    await expect(readAll(file(`${bad.join(',')}\ne1,${values.slice(1).join(',')}\n`))).rejects.toThrow(
      /line 1: the header lacks column event_hour_of_day/,
    );
    await expect(readAll(file(''))).rejects.toThrow(/is empty: no header line/);
  });

  it('stops on a file that is not CSV (an unclosed quote) naming the file, and on a missing file', async () => {
    const path = file(`${header.join(',')}\n"e1,${values.join(',')}\n`);
    await expect(readAll(path)).rejects.toThrow(BatchError);
    await expect(csvInput('/nonexistent/in.csv', set)).rejects.toThrow(/cannot read \/nonexistent\/in\.csv/);
  });
});
