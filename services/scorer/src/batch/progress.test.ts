import { describe, expect, it } from 'vitest';
import { formatProgress } from './progress.js';

describe('formatProgress', () => {
  it('shows rows, rows/s, the share read and the ETA it implies, and rejects', () => {
    expect(formatProgress({ rows: 1_200_003, scored: 1_200_000, rejected: 3, elapsedMs: 25_000, fraction: 0.4 })).toBe(
      '1,200,000 scored  48,000 rows/s  40%  ETA 0:00:38  3 rejected',
    );
  });

  it('leaves the ETA out while the size of the input is unknown', () => {
    expect(formatProgress({ rows: 10, scored: 10, rejected: 0, elapsedMs: 0, fraction: undefined })).toBe(
      '10 scored  0 rows/s',
    );
    expect(formatProgress({ rows: 7_200, scored: 7_200, rejected: 0, elapsedMs: 2_000, fraction: 0.001 })).toBe(
      '7,200 scored  3,600 rows/s  0%  ETA 0:33:18',
    );
  });
});
