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
});
