import { type Label, labelProblem } from '@pipeline/topology';
import { RequestError } from '../errors.js';

/** What the console knows of the reviewed event: its decision's customer and event time, its terminal. */
export interface ReviewedEvent {
  eventId: string;
  customerId: string;
  terminalId: string;
  /** The transaction's event time, epoch ms (the sink stores it to the second). */
  eventTimeMs: number;
}

/**
 * The label a review publishes, under the labels contract like any label producer's. Its label time
 * is when the analyst said so, but never before the transaction (the contract refuses a label older
 * than its transaction; replayed or simulated event times can be ahead of the wall clock).
 */
export function reviewLabel(event: ReviewedEvent, isFraud: boolean, nowMs: number): Label {
  const label: Label = {
    transaction_id: event.eventId,
    customer_id: event.customerId,
    terminal_id: event.terminalId,
    is_fraud: isFraud,
    label_time: Math.max(nowMs, event.eventTimeMs),
    transaction_time: event.eventTimeMs,
  };
  const problem = labelProblem(label);
  if (problem) throw new RequestError(422, `the label would break the labels contract: ${problem}`);
  return label;
}
