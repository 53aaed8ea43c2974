/**
 * A stream's event-time watermark that a few outliers cannot move: the WATERMARK_RANK-th latest
 * distinct event time accepted so far (-Infinity until there are that many). With the plain latest
 * time, a dozen events each within the future limit of the previous one carried the watermark hours
 * ahead, and every valid event after them was refused as late. Now an outlier is applied, and moves
 * nothing until WATERMARK_RANK later times agree with it.
 *
 * Both the online engine (per partition) and computeReference (per stream) judge lateness by it.
 */
export const WATERMARK_RANK = 16;

/** The latest distinct accepted times, ascending, at most WATERMARK_RANK of them. */
export type Watermark = readonly number[];

export const NO_WATERMARK: Watermark = Object.freeze([]);

/**
 * The watermark's time: events before it minus the allowed lateness are late. `rank` other than
 * WATERMARK_RANK is for tests that need a watermark after a few events.
 */
export function watermarkTime(w: Watermark, rank = WATERMARK_RANK): number {
  return w.length < rank ? Number.NEGATIVE_INFINITY : (w[w.length - rank] as number);
}

/** The watermark after an accepted event at `t` (the same array when `t` changes nothing). */
export function advanceWatermark(w: Watermark, t: number): Watermark {
  if (w.length === WATERMARK_RANK && t <= (w[0] as number)) return w;
  let i = w.length;
  while (i > 0 && (w[i - 1] as number) > t) i--;
  if (i > 0 && w[i - 1] === t) return w;
  const next = [...w.slice(0, i), t, ...w.slice(i)];
  return next.length > WATERMARK_RANK ? next.slice(next.length - WATERMARK_RANK) : next;
}

/** Text for storage: the times, comma-separated. */
export function encodeWatermark(w: Watermark): string {
  return w.join(',');
}

export function decodeWatermark(text: string): Watermark {
  if (text === '') return NO_WATERMARK;
  const times = text.split(',').map(Number);
  if (times.some((t) => !Number.isFinite(t))) throw new Error(`not a watermark: '${text.slice(0, 80)}'`);
  return times;
}
