import { describe, expect, it } from 'vitest';
import { RequestError } from '../errors.js';
import { reviewLabel } from './label.js';
import { eventIdProblem, parseReviewRequest } from './request.js';
import { type ReviewDeps, type ReviewLookup, submitReview } from './review.js';
import { insertReviewSql } from './reviews-table.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof RequestError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

async function refusalOf(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RequestError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('a review request', () => {
  it('reads the verdict; the reviewer is the signed-in principal', () => {
    expect(parseReviewRequest('e-1', JSON_TYPE, '{"verdict":"fraud"}', 'ana.lima')).toEqual({
      eventId: 'e-1',
      isFraud: true,
      reviewer: 'ana.lima',
    });
    expect(parseReviewRequest('e-1', 'application/json', '{"verdict":"genuine"}', 'bo').isFraud).toBe(false);
  });

  it.each([
    ['a bad event id', 'e 1', JSON_TYPE, '{"verdict":"fraud"}', 400, 'invalid event id'],
    ['not JSON content', 'e1', 'text/plain', '{}', 415, 'content-type: application/json'],
    ['a body that is not JSON', 'e1', JSON_TYPE, 'verdict=fraud', 400, 'not JSON'],
    ['an array', 'e1', JSON_TYPE, '[]', 400, 'JSON object'],
    ['no verdict', 'e1', JSON_TYPE, '{}', 400, 'verdict must be "fraud" or "genuine"'],
    ['a bad verdict', 'e1', JSON_TYPE, '{"verdict":"maybe"}', 400, 'not "maybe"'],
    [
      'a reviewer named in the body',
      'e1',
      JSON_TYPE,
      '{"verdict":"fraud","reviewer":"someone"}',
      400,
      'reviewer is not accepted: the review is recorded as ana',
    ],
  ])('refuses %s', (_, id, type, body, status, reason) => {
    const r = refusal(() => parseReviewRequest(id, type, body, 'ana'));
    expect(r.status).toBe(status);
    expect(r.message).toContain(reason);
  });

  it('checks event ids as the labels contract does', () => {
    expect(eventIdProblem('tx-000001')).toBeUndefined();
    expect(eventIdProblem('')).toBe('missing event id');
    expect(eventIdProblem('a{b}')).toContain('invalid event id');
  });
});

describe('the label of a review', () => {
  const event = { eventId: 'e1', customerId: 'C1', terminalId: 'T1', eventTimeMs: 1_767_225_600_000 };
  it('is labelled now, carrying the transaction time', () => {
    expect(reviewLabel(event, true, 1_767_300_000_000)).toEqual({
      transaction_id: 'e1',
      customer_id: 'C1',
      terminal_id: 'T1',
      is_fraud: true,
      label_time: 1_767_300_000_000,
      transaction_time: 1_767_225_600_000,
    });
  });
  it('is never older than its transaction (event time ahead of the clock)', () => {
    expect(reviewLabel(event, false, 1_000_000_000_000).label_time).toBe(event.eventTimeMs);
  });
});

describe('submitting a review', () => {
  const found: ReviewLookup = {
    decision: { customerId: 'C1', action: 'REVIEW', eventTimeMs: 1_767_225_600_000 },
    terminalId: 'T1',
    review: null,
  };
  function deps(lookup: ReviewLookup) {
    const calls: string[] = [];
    const d: ReviewDeps = {
      lookup: async () => lookup,
      publish: async (label) => void calls.push(`publish ${label.transaction_id} ${label.is_fraud}`),
      record: async (row) => void calls.push(`record ${row.event_id} ${row.reviewer}`),
      now: () => 1_767_300_000_123,
    };
    return { d, calls };
  }
  const request = { eventId: 'e1', isFraud: true, reviewer: 'ana' };

  it('publishes the label, then records who and when', async () => {
    const { d, calls } = deps(found);
    const result = await submitReview(request, d);
    expect(calls).toEqual(['publish e1 true', 'record e1 ana']);
    expect(result.review).toMatchObject({
      reviewed_at: 1_767_300_000,
      reviewed_at_ms: 1_767_300_000_123,
      is_fraud: true,
    });
    expect(result.label.label_time).toBe(1_767_300_000_123);
  });

  it.each([
    ['an unknown event', { ...found, decision: null }, 404, 'no decision for event e1'],
    [
      'a decision not under review',
      { ...found, decision: { ...found.decision, action: 'APPROVE' } as ReviewLookup['decision'] },
      409,
      'decided APPROVE, not REVIEW',
    ],
    [
      'an event reviewed before',
      { ...found, review: { reviewer: 'bo', reviewedAtMs: 0, isFraud: false } },
      409,
      'already reviewed by bo',
    ],
    ['an event whose transaction is not stored', { ...found, terminalId: null }, 409, 'not stored yet'],
  ])('refuses %s, publishing nothing', async (_, lookup, status, reason) => {
    const { d, calls } = deps(lookup);
    const r = await refusalOf(submitReview(request, d));
    expect(r.status).toBe(status);
    expect(r.message).toContain(reason);
    expect(calls).toEqual([]);
  });
});

describe('the reviews table', () => {
  it('inserts every column, escaped', () => {
    expect(
      insertReviewSql({
        event_id: "e'1",
        customer_id: 'C1',
        terminal_id: 'T1',
        is_fraud: true,
        reviewer: 'ana',
        reviewed_at: 1,
        reviewed_at_ms: 1000,
        label_time_ms: 1000,
        transaction_time_ms: 900,
      }),
    ).toBe(
      "INSERT INTO console_reviews (event_id, customer_id, terminal_id, is_fraud, reviewer, reviewed_at, reviewed_at_ms, label_time_ms, transaction_time_ms) VALUES ('e\\'1', 'C1', 'T1', 1, 'ana', 1, 1000, 1000, 900)",
    );
  });
});
