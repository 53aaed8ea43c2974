/** Whether a pipeline kept up with a rate: judged from per-second samples of a step. */

export interface LagSample {
  /** Seconds since the step began. */
  t: number;
  /** Messages published so far in the step. */
  published: number;
  /** Messages come out at the end of the pipeline so far in the step. */
  delivered: number;
}

export interface StepJudgement {
  sustained: boolean;
  /** Publish rate achieved over the step, events/s. */
  publishedRate: number;
  /** Output rate over the step, events/s. */
  deliveredRate: number;
  /** Growth of the backlog (published − delivered) over the second half, events/s. */
  backlogSlope: number;
  /** Backlog at the last sample. */
  finalBacklog: number;
  /** Why not sustained, when not. */
  reason: string | null;
}

export interface JudgeOptions {
  /** The publisher must reach this share of the target (it runs on the same machine). */
  minPublishShare?: number;
  /** The backlog may grow by at most this share of the target rate per second... */
  maxSlopeShare?: number;
  /** ...and end at most this many seconds of traffic behind. */
  maxBacklogSeconds?: number;
  /** The publisher's own figure (acknowledged events over its run); samples lag it by up to a second. */
  publishedRate?: number;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Sustained means the publisher reached the rate and the backlog stayed flat: over the step's second
 * half it grew by less than `maxSlopeShare` of the rate per second, and it ended less than
 * `maxBacklogSeconds` of traffic behind.
 */
export function judgeStep(
  samples: readonly LagSample[],
  targetRate: number,
  options: JudgeOptions = {},
): StepJudgement {
  const { minPublishShare = 0.95, maxSlopeShare = 0.05, maxBacklogSeconds = 2 } = options;
  const last = samples.at(-1);
  if (!last || last.t <= 0 || samples.length < 4) {
    return {
      sustained: false,
      publishedRate: 0,
      deliveredRate: 0,
      backlogSlope: 0,
      finalBacklog: 0,
      reason: 'too few samples',
    };
  }
  const publishedRate = options.publishedRate ?? last.published / last.t;
  const deliveredRate = last.delivered / last.t;
  const half = samples.filter((s) => s.t >= last.t / 2);
  const backlogSlope = slope(
    half.map((s) => s.t),
    half.map((s) => s.published - s.delivered),
  );
  const finalBacklog = last.published - last.delivered;
  let reason: string | null = null;
  if (publishedRate < minPublishShare * targetRate) {
    reason = `publisher reached ${Math.round(publishedRate)}/s of ${targetRate}/s`;
  } else if (backlogSlope > maxSlopeShare * targetRate) {
    reason = `backlog grew ${Math.round(backlogSlope)}/s`;
  } else if (finalBacklog > maxBacklogSeconds * targetRate) {
    reason = `backlog ${finalBacklog} at the end (${(finalBacklog / targetRate).toFixed(1)} s of traffic)`;
  }
  return { sustained: reason === null, publishedRate, deliveredRate, backlogSlope, finalBacklog, reason };
}
