import { describe, expect, it } from 'vitest';
import { deadLetterCounts, deadLettersSql } from './dead-letters.js';

describe('dead letters by reason', () => {
  it('reads a bounded range of the partition key, grouped by service and reason', () => {
    const text = deadLettersSql(1_700_000_123_456, 20);
    expect(text).toContain('FROM dead_letters FINAL');
    expect(text).toContain('WHERE dead_lettered_at >= toDateTime(1700000123)');
    expect(text).toContain('GROUP BY service, error_type');
    expect(text).toContain('LIMIT 20');
  });

  it('turns ClickHouse rows (counts as strings) into numbers', () => {
    expect(
      deadLetterCounts([{ service: 'features', error_type: 'MalformedMessageError', n: '12', example: 'bad' }]),
    ).toEqual([{ service: 'features', errorType: 'MalformedMessageError', count: 12, example: 'bad' }]);
  });
});
