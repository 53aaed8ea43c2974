/** A running total sampled over time (e.g. a topic's summed high watermarks). */
export interface CounterSample {
  at: number;
  total: number;
}

/** One point of a rate series: per second over the interval ending at `at`. */
export interface RatePoint {
  at: number;
  perSecond: number;
}

/**
 * Keeps the samples of a counter over the last `windowMs` and turns them into per-second rates.
 * A total that goes down (a topic recreated, a service restarted) starts over: that interval is
 * left out rather than shown as a negative rate.
 */
export class RateSeries {
  private samples: CounterSample[] = [];

  constructor(private readonly windowMs: number) {}

  add(sample: CounterSample): void {
    this.samples.push(sample);
    const oldest = sample.at - this.windowMs;
    while (this.samples.length > 2 && (this.samples[1] as CounterSample).at <= oldest) this.samples.shift();
  }

  points(): RatePoint[] {
    return ratesOf(this.samples);
  }

  /** The rate over the last interval, or null before two samples. */
  latest(): number | null {
    const points = this.points();
    return points.length > 0 ? (points[points.length - 1] as RatePoint).perSecond : null;
  }
}

/** Per-second rates between consecutive samples; decreasing totals and empty intervals are skipped. */
export function ratesOf(samples: readonly CounterSample[]): RatePoint[] {
  const points: RatePoint[] = [];
  for (let i = 1; i < samples.length; i += 1) {
    const a = samples[i - 1] as CounterSample;
    const b = samples[i] as CounterSample;
    const seconds = (b.at - a.at) / 1000;
    if (seconds <= 0 || b.total < a.total) continue;
    points.push({ at: b.at, perSecond: (b.total - a.total) / seconds });
  }
  return points;
}
