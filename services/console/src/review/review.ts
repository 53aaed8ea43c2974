import type { Label } from '@pipeline/topology';
import { RequestError } from '../errors.js';
import { type ReviewedEvent, reviewLabel } from './label.js';
import type { ReviewRequest } from './request.js';
import type { ReviewRow } from './reviews-table.js';

/** What the console finds about an event before it accepts a review of it. */
export interface ReviewLookup {
  decision: { customerId: string; action: string; eventTimeMs: number } | null;
  terminalId: string | null;
  review: { reviewer: string; reviewedAtMs: number; isFraud: boolean } | null;
}

export interface ReviewDeps {
  lookup(eventId: string): Promise<ReviewLookup>;
  /** Publishes the label on the labels topic and resolves once the broker has it. */
  publish(label: Label): Promise<void>;
  record(row: ReviewRow): Promise<void>;
  now?: () => number;
}

export interface ReviewResult {
  label: Label;
  review: ReviewRow;
}

/**
 * One analyst's verdict on a decision under review: refused (4xx) unless the event was decided
 * REVIEW, its transaction is stored and nobody reviewed it yet; then its label is published (the same
 * contract as any label producer) and the review recorded with who and when. The label goes first:
 * a review recorded is a label published. Should recording fail after, the event stays in the queue
 * and a second review publishes a newer label for it, which the labels contract allows (newest wins).
 */
export async function submitReview(request: ReviewRequest, deps: ReviewDeps): Promise<ReviewResult> {
  const now = (deps.now ?? Date.now)();
  const found = await deps.lookup(request.eventId);
  if (!found.decision) throw new RequestError(404, `no decision for event ${request.eventId}`);
  if (found.decision.action !== 'REVIEW') {
    throw new RequestError(409, `event ${request.eventId} was decided ${found.decision.action}, not REVIEW`);
  }
  if (found.review) {
    throw new RequestError(
      409,
      `event ${request.eventId} was already reviewed by ${found.review.reviewer} at ${new Date(found.review.reviewedAtMs).toISOString()}`,
    );
  }
  if (!found.terminalId) {
    throw new RequestError(409, `the transaction of event ${request.eventId} is not stored yet; try again shortly`);
  }
  const event: ReviewedEvent = {
    eventId: request.eventId,
    customerId: found.decision.customerId,
    terminalId: found.terminalId,
    eventTimeMs: found.decision.eventTimeMs,
  };
  const label = reviewLabel(event, request.isFraud, now);
  await deps.publish(label);
  const review: ReviewRow = {
    event_id: event.eventId,
    customer_id: event.customerId,
    terminal_id: event.terminalId,
    is_fraud: request.isFraud,
    reviewer: request.reviewer,
    reviewed_at: Math.floor(now / 1000),
    reviewed_at_ms: now,
    label_time_ms: label.label_time,
    transaction_time_ms: event.eventTimeMs,
  };
  await deps.record(review);
  return { label, review };
}
