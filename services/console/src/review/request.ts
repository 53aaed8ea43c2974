import { EARLIEST_TIME, labelProblem } from '@pipeline/topology';
import { RequestError } from '../errors.js';

export interface ReviewRequest {
  eventId: string;
  isFraud: boolean;
  reviewer: string;
}

/** Who acts on the page (a reviewer, who promotes a model): 1-64 letters, digits, spaces or . _ @ ' -. */
export const PERSON_NAME = /^[\p{L}\p{N} ._@'-]{1,64}$/u;

/**
 * Why an event id cannot be one (the labels contract's rule for transaction ids, which a review's
 * label carries), or undefined.
 */
export function eventIdProblem(eventId: string): string | undefined {
  const problem = labelProblem({
    transaction_id: eventId,
    customer_id: 'c',
    terminal_id: 't',
    is_fraud: false,
    label_time: EARLIEST_TIME,
    transaction_time: EARLIEST_TIME,
  });
  return problem?.replace(/transaction_id/g, 'event id');
}

/**
 * Why a customer id given to the search cannot be one (the transactions contract's rule for ids), or
 * undefined. The raw id is tokenized on the way in and never stored.
 */
export function customerIdProblem(customerId: string): string | undefined {
  const problem = labelProblem({
    transaction_id: 'e',
    customer_id: customerId,
    terminal_id: 't',
    is_fraud: false,
    label_time: EARLIEST_TIME,
    transaction_time: EARLIEST_TIME,
  });
  return problem?.replace(/customer_id/g, 'customer id');
}

/**
 * A review as the page posts it: `POST /api/review/<event id>` with JSON `{ "verdict": "fraud" | "genuine" }`;
 * the reviewer is the signed-in principal (`reviewer` in the body is refused). Anything else is a 4xx
 * naming the problem.
 */
export function parseReviewRequest(
  eventId: string,
  contentType: string | undefined,
  body: string,
  reviewer: string,
): ReviewRequest {
  const idProblem = eventIdProblem(eventId);
  if (idProblem) throw new RequestError(400, idProblem);
  if (!/^application\/json\b/i.test(contentType ?? '')) {
    throw new RequestError(415, 'send the review as JSON (content-type: application/json)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestError(400, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, 'the body must be a JSON object with verdict');
  }
  const { verdict, reviewer: named } = parsed as Record<string, unknown>;
  if (verdict !== 'fraud' && verdict !== 'genuine') {
    throw new RequestError(
      400,
      `verdict must be "fraud" or "genuine"${verdict === undefined ? '' : `, not ${JSON.stringify(verdict).slice(0, 40)}`}`,
    );
  }
  if (named !== undefined) {
    throw new RequestError(400, `reviewer is not accepted: the review is recorded as ${reviewer}, who is signed in`);
  }
  if (!PERSON_NAME.test(reviewer)) {
    throw new RequestError(400, "the principal's name must be 1-64 letters, digits, spaces or . _ @ ' -");
  }
  return { eventId, isFraud: verdict === 'fraud', reviewer };
}
