import { describe, expect, it } from 'vitest';
import { partitionsToDrop } from './retention.js';

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
