import { type Label, labelProblem, type Transaction, transactionProblem } from '@pipeline/topology';
import { BadInputError, LateEventError } from './errors.js';

export interface InputRules {
  /** Amounts above this (minor units) are absurd. */
  maxAmountMinor: number;
  /** Event times more than this past max(wall clock, partition watermark) are refused. */
  maxFutureMs: number;
  allowedLatenessMs: number;
  /** Which latest distinct time is the watermark (default WATERMARK_RANK; tests use fewer). */
  watermarkRank?: number;
}

/** The service's own limits on a time the contract already accepts: the future, and lateness. */
export function checkTime(
  field: string,
  t: number,
  watermark: number,
  now: number,
  rules: Pick<InputRules, 'maxFutureMs' | 'allowedLatenessMs'>,
): Error | undefined {
  const reference = Math.max(now, watermark);
  if (t > reference + rules.maxFutureMs) {
    return new BadInputError(
      `${field} ${new Date(t).toISOString()} is more than ${rules.maxFutureMs} ms in the future (reference ${new Date(reference).toISOString()})`,
    );
  }
  if (t < watermark - rules.allowedLatenessMs)
    return new LateEventError(watermark - rules.allowedLatenessMs - t, rules.allowedLatenessMs);
  return undefined;
}

/**
 * Why a transaction is refused, or undefined: the contract's checks every service makes
 * (`transactionProblem`), then an absurd amount, the future and lateness. `watermark` is the
 * partition's latest accepted event time.
 */
export function checkTransaction(
  tx: Transaction,
  watermark: number,
  now: number,
  rules: InputRules,
): Error | undefined {
  const problem = transactionProblem(tx);
  if (problem) return new BadInputError(problem);
  if (tx.amount_minor > rules.maxAmountMinor) {
    return new BadInputError(`absurd amount_minor ${tx.amount_minor} (above ${rules.maxAmountMinor})`);
  }
  return checkTime('event_time', tx.event_time, watermark, now, rules);
}

export function checkLabel(label: Label, watermark: number, now: number, rules: InputRules): Error | undefined {
  const problem = labelProblem(label);
  if (problem) return new BadInputError(problem);
  return checkTime('label_time', label.label_time, watermark, now, rules);
}
