import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_OUTPUT_COLUMNS, csvOutput } from './csv-output.js';
import { rejectFile } from './rejects.js';
import type { BatchScore } from './types.js';

const dir = () => mkdtempSync(join(tmpdir(), 'batch-out-'));
const score = (id: string, value: number, contributions: BatchScore['contributions'] = []): BatchScore => ({
  event_id: id,
  model_name: 'fraud_gbdt',
  model_version: '2',
  feature_set: 'fraud_core',
  feature_set_version: 2,
  score: value,
  contributions,
});

describe('csvOutput', () => {
  it('writes a header and the scores in order; every score reads back to the same number', async () => {
    const path = join(dir(), 'scores.csv');
    const out = csvOutput(path);
    const scores = [
      score('a,"quoted"', Math.fround(0.1), [
        { feature: 'event_amount', value: Math.fround(0.30315) },
        { feature: 'event_is_night', value: Math.fround(1e-7) },
      ]),
      score('b', Math.fround(2.5e-8)),
    ];
    await out.write(scores.slice(0, 1));
    await out.write(scores.slice(1));
    expect(existsSync(path)).toBe(false); // still .partial until closed
    await out.close();
    const [head, ...rows] = parse(readFileSync(path, 'utf8')) as string[][];
    expect(head).toEqual(CSV_OUTPUT_COLUMNS);
    expect(rows.map((r) => r[0])).toEqual(['a,"quoted"', 'b']);
    expect(rows.map((r) => Number(r[5]))).toEqual(scores.map((s) => s.score));
    expect(rows[0]?.slice(6)).toEqual([
      'event_amount',
      String(Math.fround(0.30315)),
      'event_is_night',
      String(Math.fround(1e-7)),
      '',
      '',
    ]);
    expect(rows[1]?.slice(6)).toEqual(['', '', '', '', '', '']);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('leaves no file that looks complete when the run aborts, and a header-only file for an empty run', async () => {
    const d = dir();
    const aborted = csvOutput(join(d, 'aborted.csv'));
    await aborted.write([score('a', 0.5)]);
    await aborted.abort();
    expect(existsSync(join(d, 'aborted.csv'))).toBe(false);
    expect(existsSync(join(d, 'aborted.csv.partial'))).toBe(false);
    const empty = csvOutput(join(d, 'empty.csv'));
    await empty.close();
    expect(readFileSync(join(d, 'empty.csv'), 'utf8')).toBe(`${CSV_OUTPUT_COLUMNS.join(',')}\n`);
  });

  it('fails the run when the file cannot be written', async () => {
    const out = csvOutput('/nonexistent-dir/scores.csv');
    await expect(out.write([score('a', 0.5)])).rejects.toThrow(/ENOENT/);
  });
});

describe('rejectFile', () => {
  it('writes where, event id and reason, and creates no file when nothing was rejected', async () => {
    const d = dir();
    const none = rejectFile(join(d, 'none.csv'));
    await none.close();
    expect(none.path).toBeNull();
    expect(existsSync(join(d, 'none.csv'))).toBe(false);
    const some = rejectFile(join(d, 'some.csv'));
    await some.write({ where: 'line 7', eventId: 'e7', reason: "column event_amount: 'x' is not a number" });
    await some.write({ where: 'line 9', eventId: null, reason: 'column event_id is empty' });
    await some.close();
    expect(some.path).toBe(join(d, 'some.csv'));
    expect(parse(readFileSync(join(d, 'some.csv'), 'utf8'))).toEqual([
      ['where', 'event_id', 'reason'],
      ['line 7', 'e7', "column event_amount: 'x' is not a number"],
      ['line 9', '', 'column event_id is empty'],
    ]);
  });
});
