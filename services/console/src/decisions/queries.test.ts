import { describe, expect, it } from 'vitest';
import {
  bucketSeconds,
  decisionByIdSql,
  inList,
  mixSql,
  newestEventTimeSql,
  rangeEndingAt,
  reviewQueueSql,
  splitDays,
  transactionByIdSql,
  yyyymmdd,
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
    const q = mixSql({ from: 100, to: 200, bucket: 60 }, { settled: [], unsettled: [19700101] }) ?? '';
    expect(q).toContain('event_time >= toDateTime(100) AND event_time < toDateTime(200)');
    expect(q).toContain('intDiv(toUInt32(event_time), 60) * 60');
    expect(q).toContain('GROUP BY t, action, path, variant');
    expect(q).toContain('LIMIT');
  });

  it('splits the days of a range by whether a partition may still hold copies of a row', () => {
    const day = 86_400;
    const from = Date.UTC(2026, 0, 30) / 1000;
    const rows = [
      { partition: '20260129', parts: 1, min_level: 1 }, // before the range
      { partition: '20260130', parts: '1', min_level: '3' }, // merged: settled
      { partition: '20260131', parts: 1, min_level: 0 }, // one part as inserted: may hold copies
      { partition: '20260201', parts: 4, min_level: 2 }, // several parts: may hold copies
      { partition: '20260202', parts: 1, min_level: 1 }, // after the range
      { partition: 'all', parts: 1, min_level: 1 },
    ];
    expect(splitDays(rows, { from, to: from + 3 * day })).toEqual({
      settled: [20260130],
      unsettled: [20260131, 20260201],
    });
    expect(yyyymmdd(from + 3 * day - 1)).toBe(20260201);
  });

  it('reads settled days without FINAL and the others with it, each day in one branch', () => {
    const q = mixSql(
      { from: 0, to: 3 * 86_400, bucket: 3_600 },
      { settled: [19700101, 19700102], unsettled: [19700103] },
    );
    expect(q).toContain(
      'FROM decisions WHERE event_time >= toDateTime(0) AND event_time < toDateTime(259200) AND toYYYYMMDD(event_time) IN (19700101, 19700102)',
    );
    expect(q).toContain('UNION ALL');
    expect(q).toContain(
      'FROM decisions FINAL WHERE event_time >= toDateTime(0) AND event_time < toDateTime(259200) AND toYYYYMMDD(event_time) IN (19700103)',
    );
    expect(q).toContain('sum(n) AS n');
    const settledOnly = mixSql({ from: 0, to: 86_400, bucket: 3_600 }, { settled: [19700101], unsettled: [] }) ?? '';
    expect(settledOnly).not.toContain('FINAL');
    expect(settledOnly).not.toContain('UNION ALL');
    expect(mixSql({ from: 0, to: 86_400, bucket: 3_600 }, { settled: [], unsettled: [] })).toBeNull();
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
