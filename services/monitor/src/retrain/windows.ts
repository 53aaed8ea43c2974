/** Data windows of one retraining, epoch ms; every `*To` is exclusive. */
export interface RetrainingWindows {
  cutoff: number;
  trainFrom: number;
  trainTo: number;
  evalFrom: number;
  evalTo: number;
}

/**
 * From the cut-off back: transactions younger than the label lag are left out (most labels unknown
 * yet); before that, the most recent labelled window evaluates; before that, the training window.
 * Labels count only if known at the cut-off, so the candidate sees what could have been seen then.
 */
export function retrainingWindows(
  cutoff: number,
  options: { labelLagMs: number; evalWindowMs: number; trainWindowMs: number },
): RetrainingWindows {
  const evalTo = cutoff - options.labelLagMs;
  const evalFrom = evalTo - options.evalWindowMs;
  return { cutoff, trainFrom: evalFrom - options.trainWindowMs, trainTo: evalFrom, evalFrom, evalTo };
}
