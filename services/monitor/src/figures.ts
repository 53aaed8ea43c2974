import type { Evidence } from '@pipeline/topology';
import type { Kind } from './config.js';

/**
 * One computed figure: a feature's PSI, the window's ROC AUC, an action's share. `breached` is set by
 * the check that judged it; figures no rule judges carry threshold null.
 */
export interface Figure {
  kind: Kind;
  subject: string;
  metric: string;
  value: number;
  /** 'max': breached at or above the threshold; 'min': breached below it. */
  direction: 'max' | 'min';
  threshold: number | null;
  breached: boolean;
  /** A rule applied: a threshold, enough rows on both sides, a defined value. */
  judged: boolean;
  /** Rows of the current window the figure is over. */
  n: number;
  nReference: number;
  /** Appended to the alert reason, e.g. the top cause of a share. */
  note?: string;
  /** Finer figures (not judged) that go into the alert's evidence with this one. */
  breakdown?: readonly Figure[];
}

/** A judged figure; judged only when `enough` (minimum sample sizes met) and the value is defined. */
export function judged(
  base: Omit<Figure, 'breached' | 'judged' | 'direction' | 'threshold'>,
  direction: 'max' | 'min',
  threshold: number | null,
  enough: boolean,
): Figure {
  const isJudged = threshold !== null && enough && !Number.isNaN(base.value);
  const breached = isJudged && (direction === 'max' ? base.value >= threshold : base.value < threshold);
  return { ...base, direction, threshold, breached, judged: isJudged };
}

const round = (v: number) => (Number.isNaN(v) ? 'NaN' : Number(v.toPrecision(3)).toString());

/** One line per breached figure, e.g. `psi(event_amount) 0.412 >= 0.25 (n=300)`. */
export function reason(f: Figure): string {
  const subject = f.subject === '' ? '' : `(${f.subject})`;
  const op = f.direction === 'max' ? '>=' : '<';
  const note = f.note ? `; ${f.note}` : '';
  return `${f.metric}${subject} ${round(f.value)} ${op} ${round(f.threshold ?? Number.NaN)} (n=${f.n})${note}`;
}

export function evidence(f: Figure): Evidence {
  return { subject: f.subject, metric: f.metric, value: f.value, threshold: f.threshold ?? Number.NaN, n: f.n };
}

/** Whether a check breached in a run: true/false when it judged anything, undefined when it could not (too few rows). */
export function verdict(figures: readonly Figure[]): boolean | undefined {
  if (!figures.some((f) => f.judged)) return undefined;
  return figures.some((f) => f.breached);
}
