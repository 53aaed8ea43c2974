import { describe, expect, it } from 'vitest';
import { parseBacktestOptions, parseTime } from './options.js';

describe('backtest options', () => {
  it('reads times as ISO 8601 (UTC unless an offset is given) or epoch ms', () => {
    expect(parseTime('from', '2026-01-02')).toBe(Date.UTC(2026, 0, 2));
    expect(parseTime('from', '2026-01-02T03:04')).toBe(Date.UTC(2026, 0, 2, 3, 4));
    expect(parseTime('from', '2026-01-02T03:04:05.5Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 500));
    expect(parseTime('from', '2026-01-02T03:04:05+01:00')).toBe(Date.UTC(2026, 0, 2, 2, 4, 5));
    expect(parseTime('to', '1767312000000')).toBe(1767312000000);
  });

  it('refuses what is not a time, naming the flag', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-01-02 03:04', '']) {
      expect(() => parseTime('from', bad), bad).toThrow(/--from ".*" is not a time/);
    }
  });

  it('takes the range, the candidate and production’s database', () => {
    const o = parseBacktestOptions(
      ['--from', '2026-01-01', '--to', '2026-02-01', '--rules', 'r.yaml', '--model', 'fraud_gbdt@3'],
      { CLICKHOUSE_DATABASE: 'prod' },
    );
    expect(o).toMatchObject({
      fromMs: Date.UTC(2026, 0, 1),
      toMs: Date.UTC(2026, 1, 1),
      rules: 'r.yaml',
      model: 'fraud_gbdt@3',
      database: 'prod',
      out: null,
    });
    expect(parseBacktestOptions(['--from', '1', '--to', '2'], {}).database).toBe('default');
  });

  it('refuses a range that is empty or backwards, missing bounds, a bad model or database', () => {
    expect(() => parseBacktestOptions(['--from', '2026-02-01', '--to', '2026-01-01'], {})).toThrow(
      '--from (2026-02-01T00:00:00.000Z) must be before --to (2026-01-01T00:00:00.000Z)',
    );
    expect(() => parseBacktestOptions(['--from', '2026-01-01', '--to', '2026-01-01'], {})).toThrow(/must be before/);
    expect(() => parseBacktestOptions(['--to', '2026-01-01'], {})).toThrow('--from is required');
    expect(() => parseBacktestOptions(['--from', '2026-01-01'], {})).toThrow('--to is required');
    expect(() => parseBacktestOptions(['--from', '1', '--to', '2', '--model', 'gbdt'], {})).toThrow(
      /--model "gbdt" is not a model reference/,
    );
    expect(() => parseBacktestOptions(['--from', '1', '--to', '2', '--database', 'a-b'], {})).toThrow(/--database/);
    expect(() => parseBacktestOptions(['--from', '1', '--to', '2', '--speed', 'x'], {})).toThrow(/speed/);
  });

  it('takes where the history comes from and production’s topics, the topology’s by default', () => {
    const range = ['--from', '1', '--to', '2'];
    expect(parseBacktestOptions(range, {})).toMatchObject({
      source: 'auto',
      transactionsTopic: 'transactions',
      labelsTopic: 'labels',
    });
    const o = parseBacktestOptions(
      [...range, '--source', 'kafka', '--transactions-topic', 'prod.transactions', '--labels-topic', 'prod.labels'],
      {},
    );
    expect(o).toMatchObject({ source: 'kafka', transactionsTopic: 'prod.transactions', labelsTopic: 'prod.labels' });
    expect(parseBacktestOptions([...range, '--source', 'clickhouse'], {}).source).toBe('clickhouse');
  });

  it('refuses an unknown source or a topic name Kafka would refuse, naming the flag', () => {
    const range = ['--from', '1', '--to', '2'];
    expect(() => parseBacktestOptions([...range, '--source', 'both'], {})).toThrow(
      '--source "both" is not one of auto, kafka, clickhouse',
    );
    expect(() => parseBacktestOptions([...range, '--transactions-topic', 'a b'], {})).toThrow(
      /--transactions-topic "a b" is not a Kafka topic name/,
    );
    expect(() => parseBacktestOptions([...range, '--labels-topic', ''], {})).toThrow(/--labels-topic "" is not/);
  });
});
