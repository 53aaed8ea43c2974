import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet as set } from '@pipeline/feature-sets';
import { parse } from 'csv-parse/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { committedModelDir, tempRegistry } from '../registry/test-registry.js';
import { parseBatchArgs, runScoreBatchCli } from './score-batch-cli.js';

const fixture = JSON.parse(readFileSync(`${committedModelDir}fixture.json`, 'utf8')) as {
  vectors: (number | null)[][];
  onnxruntime: number[];
};

function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runScoreBatchCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: () => undefined,
    env: { SCORER_THREADS: '2', ...env },
  });
  return code.then((c) => ({ code: c, out, err: err.join('\n') }));
}

function csvOfFixture(extra: string[] = []): string {
  const lines = [['event_id', ...set.names].join(',')];
  fixture.vectors.forEach((v, i) => {
    lines.push([`e${i}`, ...v.map((x) => (x === null ? '' : String(x)))].join(','));
  });
  return `${[...lines, ...extra].join('\n')}\n`;
}

describe('parseBatchArgs', () => {
  it('needs a model, exactly one input and exactly one output', () => {
    expect(() => parseBatchArgs(['--input', 'a.csv', '--output', 'b.csv'])).toThrow('--model is required');
    expect(() => parseBatchArgs(['--model', 'champion', '--output', 'b.csv'])).toThrow(
      /exactly one of --input and --query/,
    );
    expect(() =>
      parseBatchArgs(['--model', 'champion', '--input', 'a.csv', '--query', 'SELECT 1', '--output', 'b.csv']),
    ).toThrow(/exactly one of --input and --query/);
    expect(() => parseBatchArgs(['--model', 'champion', '--input', 'a.csv'])).toThrow(
      /exactly one of --output and --table/,
    );
  });

  it('refuses other file types, bad numbers and unknown flags', () => {
    const base = ['--model', 'champion', '--output', 'b.csv'];
    expect(() => parseBatchArgs([...base, '--input', 'a.json'])).toThrow(/only CSV \(\.csv\) and Parquet/);
    expect(() => parseBatchArgs([...base, '--input', 'a.csv', '--chunk', '0'])).toThrow(
      /--chunk '0' is not a positive integer/,
    );
    expect(() => parseBatchArgs([...base, '--input', 'a.csv', '--explain-min-score', '2'])).toThrow(/not from 0 to 1/);
    expect(() => parseBatchArgs([...base, '--input', 'a.csv', '--bogus'])).toThrow(/bogus/);
  });

  it('takes --transactions with an input file or a query, one of them, and a positive --feature-batch', () => {
    const base = ['--model', 'champion', '--output', 'b.csv', '--transactions'];
    expect(parseBatchArgs([...base, '--input', 'tx.parquet'])).toMatchObject({
      transactions: true,
      input: 'tx.parquet',
      query: undefined,
      featureBatch: 5000,
    });
    expect(parseBatchArgs([...base, '--query', 'SELECT * FROM tx ORDER BY event_time'])).toMatchObject({
      transactions: true,
      input: undefined,
      query: 'SELECT * FROM tx ORDER BY event_time',
    });
    expect(() => parseBatchArgs(base)).toThrow(/exactly one of --input and --query/);
    expect(() => parseBatchArgs([...base, '--input', 'tx.csv', '--query', 'SELECT 1'])).toThrow(
      /exactly one of --input and --query/,
    );
    expect(() => parseBatchArgs([...base, '--input', 'tx.csv', '--feature-batch', 'x'])).toThrow(
      /--feature-batch 'x' is not a positive integer/,
    );
  });
});

describe('score:batch on a CSV file', () => {
  it('scores every row with the registry model on the worker pool, as the onnxruntime fixture did', async () => {
    const { dir } = tempRegistry();
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    writeFileSync(join(work, 'in.csv'), csvOfFixture());
    const r = await cli([
      '--model',
      'champion',
      '--input',
      join(work, 'in.csv'),
      '--output',
      join(work, 'out.csv'),
      '--registry',
      dir,
    ]);
    expect(r.err).not.toContain('error');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out.at(-1) ?? '{}');
    expect(summary).toMatchObject({
      model: 'fraud_gbdt@1',
      scored: fixture.vectors.length,
      rejected: 0,
      rejects: null,
    });
    const [, ...rows] = parse(readFileSync(join(work, 'out.csv'), 'utf8')) as string[][];
    expect(rows.map((row) => row[0])).toEqual(fixture.vectors.map((_, i) => `e${i}`));
    rows.forEach((row, i) => {
      expect(Math.abs(Number(row[5]) - (fixture.onnxruntime[i] as number))).toBeLessThan(1e-5);
    });
    expect(existsSync(join(work, 'out.rejects.csv'))).toBe(false);
  });

  it('scores a Parquet file of the same vectors exactly as the CSV file', async () => {
    const { dir } = tempRegistry();
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    writeFileSync(join(work, 'in.csv'), csvOfFixture());
    const columnData = [
      { name: 'event_id', data: fixture.vectors.map((_, i) => `e${i}`), type: 'STRING' as const },
      ...set.names.map((name, j) => ({
        name,
        data: fixture.vectors.map((v) => v[j] ?? null),
        type: 'DOUBLE' as const,
      })),
    ];
    writeFileSync(join(work, 'in.parquet'), new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 16 })));
    const common = ['--model', 'champion', '--registry', dir, '--explain'];
    expect((await cli([...common, '--input', join(work, 'in.csv'), '--output', join(work, 'csv.csv')])).code).toBe(0);
    expect((await cli([...common, '--input', join(work, 'in.parquet'), '--output', join(work, 'pq.csv')])).code).toBe(
      0,
    );
    const fromCsv = readFileSync(join(work, 'csv.csv'), 'utf8');
    expect(fromCsv.split('\n').length).toBe(fixture.vectors.length + 2);
    expect(readFileSync(join(work, 'pq.csv'), 'utf8')).toBe(fromCsv);
  });

  it('writes bad rows to the reject file with line and reason, scores the rest and exits 3', async () => {
    const { dir } = tempRegistry();
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    const bad = ['bad', ...set.names.map(() => '1')];
    bad[set.names.indexOf('event_amount') + 1] = 'twelve';
    writeFileSync(join(work, 'in.csv'), csvOfFixture([bad.join(','), 'short,1,2']));
    const r = await cli([
      '--model',
      'fraud_gbdt@1',
      '--input',
      join(work, 'in.csv'),
      '--output',
      join(work, 'out.csv'),
      '--registry',
      dir,
    ]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`2 rejected, see ${join(work, 'out.rejects.csv')}`);
    const lines = fixture.vectors.length + 1;
    expect(parse(readFileSync(join(work, 'out.rejects.csv'), 'utf8'))).toEqual([
      ['where', 'event_id', 'reason'],
      [`line ${lines + 1}`, 'bad', "column event_amount: 'twelve' is not a number"],
      [`line ${lines + 2}`, 'short', '3 fields where the header has 36'],
    ]);
    expect(JSON.parse(r.out.at(-1) ?? '{}')).toMatchObject({ scored: fixture.vectors.length, rejected: 2 });
  });

  it('stops with exit 1 naming the column when the header is wrong, leaving no output', async () => {
    const { dir } = tempRegistry();
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    writeFileSync(join(work, 'in.csv'), csvOfFixture().replace('event_is_night', 'event_is_nite'));
    const r = await cli([
      '--model',
      'champion',
      '--input',
      join(work, 'in.csv'),
      '--output',
      join(work, 'out.csv'),
      '--registry',
      dir,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'line 1: the header lacks column event_is_night (columns it has that fraud_core does not: event_is_nite)',
    );
    expect(existsSync(join(work, 'out.csv'))).toBe(false);
    expect(existsSync(join(work, 'out.csv.partial'))).toBe(false);
  });

  it('fails with exit 1 and the reason when the output cannot be written, leaving the input alone', async () => {
    const { dir } = tempRegistry();
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    writeFileSync(join(work, 'in.csv'), csvOfFixture());
    const r = await cli([
      '--model',
      'champion',
      '--input',
      join(work, 'in.csv'),
      '--output',
      join(work, 'no-such-dir', 'out.csv'),
      '--registry',
      dir,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: the run failed: ENOENT/);
    expect(readFileSync(join(work, 'in.csv'), 'utf8')).toBe(csvOfFixture());
  });

  it('refuses a model whose contract is not the feature set, and a bad variable, with exit 1', async () => {
    const registry = tempRegistry();
    registry.addVersion('9', (m) => {
      m.feature_set.version = 1;
    });
    const work = mkdtempSync(join(tmpdir(), 'batch-cli-'));
    writeFileSync(join(work, 'in.csv'), csvOfFixture());
    const args = ['--input', join(work, 'in.csv'), '--output', join(work, 'out.csv'), '--registry', registry.dir];
    const refused = await cli(['--model', 'fraud_gbdt@9', ...args]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('fraud_gbdt@9 was trained on feature set fraud_core v1');
    const badEnv = await cli(['--model', 'champion', ...args], { SCORER_THREADS: 'many' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.err).toContain('SCORER_THREADS must be a positive integer');
    const noClickHouse = await cli([
      '--model',
      'champion',
      '--query',
      'SELECT 1',
      '--output',
      join(work, 'q.csv'),
      '--registry',
      registry.dir,
    ]);
    expect(noClickHouse.code).toBe(1);
    expect(noClickHouse.err).toContain('CLICKHOUSE_URL is not set');
  });
});
