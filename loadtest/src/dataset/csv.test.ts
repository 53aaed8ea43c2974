import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimEvent } from '../simulator/events.js';
import { simulate } from '../simulator/index.js';
import { csvField, DATASET_COLUMNS, writeDatasetCsv } from './csv.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataset-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A minimal RFC 4180 parser, enough to read back what the writer wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
  }
  return rows;
}

const tx = (id: string, time: number, customer: string, scenario: 'large_amount' | null): SimEvent => {
  const value: Transaction = {
    event_id: id,
    event_time: time,
    customer_id: customer,
    terminal_id: 'T1',
    amount_minor: 1234,
    currency: 'EUR',
    channel: 'ECOM',
    country: 'FR',
    device_hash: 'dev"1',
    ip_hash: null,
  };
  return { kind: 'transaction', time, value, scenario };
};
const label = (id: string, time: number, fraud: boolean): SimEvent => ({
  kind: 'label',
  time,
  value: {
    transaction_id: id,
    customer_id: 'x',
    terminal_id: 'T1',
    is_fraud: fraud,
    label_time: time,
    transaction_time: time - 1,
  },
});

describe('csvField', () => {
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});

describe('writeDatasetCsv', () => {
  it('writes the documented header and one row per transaction, joined with its label, in transaction order', async () => {
    const path = join(dir, 'small.csv');
    const events = [
      tx('e1', 1, 'Smith, "J"', null),
      tx('e2', 2, 'C2', 'large_amount'),
      label('e2', 5, true), // arrives first; e2 waits for e1
      tx('e3', 6, 'C3', null),
      label('e1', 9, false),
      label('unknown', 10, false), // ignored
    ];
    expect(await writeDatasetCsv(events, path)).toEqual({ rows: 3 });
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[0]).toBe(
      'event_id,event_time,customer_id,terminal_id,amount_minor,currency,channel,country,device_hash,ip_hash,scenario,is_fraud,label_time',
    );
    expect(text).toContain('e1,1,"Smith, ""J""",T1,1234,EUR,ECOM,FR,"dev""1",,,0,9\n');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...DATASET_COLUMNS]);
    expect(rows.slice(1)).toEqual([
      ['e1', '1', 'Smith, "J"', 'T1', '1234', 'EUR', 'ECOM', 'FR', 'dev"1', '', '', '0', '9'],
      ['e2', '2', 'C2', 'T1', '1234', 'EUR', 'ECOM', 'FR', 'dev"1', '', 'large_amount', '1', '5'],
      ['e3', '6', 'C3', 'T1', '1234', 'EUR', 'ECOM', 'FR', 'dev"1', '', '', '', ''], // label never came
    ]);
  });

  it('has as many rows as the simulation has transactions, each with its label', async () => {
    const path = join(dir, 'sim.csv');
    const config = { seed: 4, customers: 300, days: 15, fraudRate: 0.02 };
    let transactions = 0;
    let frauds = 0;
    for (const event of simulate(config)) {
      if (event.kind === 'transaction') {
        transactions++;
        if (event.scenario !== null) frauds++;
      }
    }
    const { rows } = await writeDatasetCsv(simulate(config), path);
    expect(rows).toBe(transactions);
    const lines = parseCsv(await readFile(path, 'utf8')).slice(1);
    expect(lines).toHaveLength(transactions);
    const column = (name: (typeof DATASET_COLUMNS)[number]) => DATASET_COLUMNS.indexOf(name);
    let previous = 0;
    let fraudRows = 0;
    for (const line of lines) {
      expect(line).toHaveLength(DATASET_COLUMNS.length);
      const eventTime = Number(line[column('event_time')]);
      expect(eventTime).toBeGreaterThanOrEqual(previous);
      previous = eventTime;
      expect(Number(line[column('label_time')])).toBeGreaterThan(eventTime);
      expect(line[column('is_fraud')]).toBe(line[column('scenario')] === '' ? '0' : '1');
      if (line[column('is_fraud')] === '1') fraudRows++;
    }
    expect(fraudRows).toBe(frauds);
  });

  it('accepts an async iterable', async () => {
    async function* events(): AsyncGenerator<SimEvent> {
      yield tx('a', 1, 'C1', null);
      yield label('a', 2, false);
    }
    const path = join(dir, 'async.csv');
    expect(await writeDatasetCsv(events(), path)).toEqual({ rows: 1 });
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('rejects when the file cannot be written', async () => {
    await expect(writeDatasetCsv([], join(dir, 'missing', 'x.csv'))).rejects.toThrow(/ENOENT/);
  });
});
