import { describe, expect, it } from 'vitest';
import {
  bucketSeconds,
  decisionByIdSql,
  inList,
  mixSql,
  newestEventTimeSql,
  rangeEndingAt,
  reviewQueueSql,
  transactionByIdSql,
} from './queries.js';

describe('decision queries', () => {
  it('chooses at most 96 buckets per span', () => {
    expect(bucketSeconds(3_600)).toBe(60);
    expect(bucketSeconds(6 * 3_600)).toBe(300);
    expect(bucketSeconds(24 * 3_600)).toBe(900);
    expect(bucketSeconds(7 * 24 * 3_600)).toBe(10_800);
    expect(bucketSeconds(400 * 24 * 3_600)).toBe(86_400);
  });

  it('ends a range with the bucket of the newest decision', () => {
    const r = rangeEndingAt(1_700_000_123, 24);
    expect(r.bucket).toBe(900);
    expect(r.to).toBe(1_700_000_100 + 900);
    expect(r.to - r.from).toBe(86_400);
    expect(r.to % 900).toBe(0);
  });

  it('bounds the mix by event time (the partition key) and groups by bucket, action, path, variant', () => {
    const q = mixSql({ from: 100, to: 200, bucket: 60 });
    expect(q).toContain('event_time >= toDateTime(100) AND event_time < toDateTime(200)');
    expect(q).toContain('intDiv(toUInt32(event_time), 60) * 60');
    expect(q).toContain('GROUP BY t, action, path, variant');
    expect(q).toContain('LIMIT');
  });

  it('looks single events up by the sorting key, newest version first, without FINAL', () => {
    const q = decisionByIdSql('e1');
    expect(q).toContain("WHERE event_id = 'e1'\nORDER BY decided_at_ms DESC\nLIMIT 1");
    expect(q).not.toContain('FINAL');
    expect(transactionByIdSql(['a', 'b'])).toContain('ORDER BY computed_at_ms DESC\nLIMIT 1 BY event_id');
  });

  it('escapes the values spliced in', () => {
    expect(decisionByIdSql("e'1")).toContain("WHERE event_id = 'e\\'1'");
    expect(transactionByIdSql(['a', "b'"])).toContain("event_id IN ('a', 'b\\'')");
    expect(inList([]).text).toBe("''");
    expect(newestEventTimeSql(20260101)).toContain('toYYYYMMDD(event_time) = 20260101');
  });

  it('reads the review queue oldest first, without reviewed events, bounded', () => {
    const q = reviewQueueSql({ from: 1, to: 2 }, 25);
    expect(q).toContain('FROM console_review_queue');
    expect(q).toContain('NOT IN (SELECT event_id FROM console_reviews)');
    expect(q).toContain('ORDER BY event_time, event_id');
    expect(q).toContain('LIMIT 1 BY event_id\nLIMIT 25');
    expect(q).not.toContain('FINAL');
  });
});
