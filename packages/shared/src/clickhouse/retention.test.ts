import { describe, expect, it } from 'vitest';
import { lastDay, partitionsToDrop, partitionsToSettle } from './retention.js';

describe('partitionsToDrop', () => {
  const now = Date.UTC(2026, 2, 31, 15, 0);
  const parts = ['20260227', '20260228', '20260301', '20260331', 'tuple()'].map((partition) => ({
    table: 'scores',
    partition,
  }));

  it('drops the days more than N days before today and keeps the rest', () => {
    expect(partitionsToDrop(parts, now, 30).map((p) => p.partition)).toEqual(['20260227', '20260228']);
  });

  it('keeps everything within the window and what is not a daily partition', () => {
    expect(partitionsToDrop(parts, now, 400)).toEqual([]);
    expect(partitionsToDrop(parts, now, 1).map((p) => p.partition)).toEqual(['20260227', '20260228', '20260301']);
  });

  it('counts the days back from the newest data, so a backfill of old events keeps its rows', () => {
    const backfill = ['20240301', '20240315', '20240401'].map((partition) => ({ table: 'decisions', partition }));
    expect(partitionsToDrop(backfill, now, 400)).toEqual([]);
    expect(partitionsToDrop(backfill, now, 30).map((p) => p.partition)).toEqual(['20240301']);
  });

  it('judges each table by its own newest data, and a row dated in the future by today', () => {
    const mixed = [
      { table: 'labels', partition: '20240101' },
      { table: 'scores', partition: '20260101' },
      { table: 'scores', partition: '20990101' },
    ];
    expect(partitionsToDrop(mixed, now, 30)).toEqual([{ table: 'scores', partition: '20260101' }]);
  });
});

describe('monthly partitions', () => {
  it('know their last day, leap years included', () => {
    expect(lastDay('202602')).toBe(20260228);
    expect(lastDay('202402')).toBe(20240229);
    expect(lastDay('202612')).toBe(20261231);
    expect(lastDay('20260115')).toBe(20260115);
    expect(lastDay('tuple()')).toBeNull();
  });

  it('go once their last day is past the retention', () => {
    const now = Date.UTC(2026, 3, 15);
    const months = ['202601', '202602', '202603', '202604'].map((partition) => ({
      table: 'console_reviews',
      partition,
    }));
    expect(partitionsToDrop(months, now, 30).map((p) => p.partition)).toEqual(['202601', '202602']);
  });
});

describe('partitionsToSettle', () => {
  const p = (table: string, partition: string, parts: number, min_level: number) => ({
    table,
    partition,
    parts,
    min_level,
  });

  it('settles the closed days that may hold copies: several parts, or one part as inserted', () => {
    expect(
      partitionsToSettle([
        p('decisions', '20260101', 3, 0),
        p('decisions', '20260102', 1, 0),
        p('decisions', '20260103', 1, 2),
        p('decisions', '20260104', 5, 0),
        p('scores', '20260103', 2, 1),
        p('scores', '20260104', 1, 0),
        p('decisions', 'tuple()', 2, 0),
      ]),
    ).toEqual([
      { table: 'decisions', partition: '20260101' },
      { table: 'decisions', partition: '20260102' },
      { table: 'scores', partition: '20260103' },
    ]);
  });

  it('leaves the newest partition of each table alone: it still takes rows', () => {
    expect(partitionsToSettle([p('labels', '20260104', 4, 0)])).toEqual([]);
  });
});
