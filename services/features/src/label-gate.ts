/**
 * Labels and transactions are two topics read by two consumers. Before a batch of transactions is
 * applied, every fraud label with a label time before its events must have been applied, whichever
 * consumer is ahead: the same vectors live, after a crash and on a replay from the start.
 */

/** How far the labels consumer has got on one labels partition. */
export interface LabelProgress {
  /** Offset after the last durable batch. */
  nextOffset: bigint;
  /** The partition's high watermark when that batch was fetched. */
  highWatermark: bigint;
  /** Label-time watermark as of `nextOffset` (-Infinity: none yet). */
  watermark: number;
}

/** A labels partition as the broker and the labels group's commits see it. */
export interface LabelPartitionOffsets {
  partition: number;
  low: bigint;
  high: bigint;
  /** The labels group's committed offset (-1: none). */
  committed: bigint;
}

export interface LabelSource {
  /** Progress recorded per partition by the labels consumer. */
  progress(): Promise<Map<number, LabelProgress>>;
  /** Every partition of the labels topic, with its offsets. */
  offsets(): Promise<LabelPartitionOffsets[]>;
}

export function encodeProgress(p: LabelProgress): string {
  return `${p.nextOffset}:${p.highWatermark}:${p.watermark}`;
}

export function decodeProgress(text: string): LabelProgress {
  const [next, high, watermark] = text.split(':');
  return { nextOffset: BigInt(next ?? '0'), highWatermark: BigInt(high ?? '0'), watermark: Number(watermark) };
}

/**
 * Whether the partition can hold no more labels that count before t: its label-time watermark is
 * at least t + lateness (a label before t arriving now would be late, dead-lettered), or the labels
 * consumer has consumed everything there was when it last fetched and when the broker was last
 * asked (`brokerHigh`; live traffic: labels arrive as they are made).
 */
export function partitionReady(p: LabelProgress, t: number, latenessMs: number, brokerHigh = 0n): boolean {
  return p.watermark - latenessMs >= t || (p.nextOffset >= p.highWatermark && p.nextOffset >= brokerHigh);
}

/** A partition without recorded progress: ready only when the labels group has nothing to consume there. */
export function untouchedReady(o: LabelPartitionOffsets): boolean {
  return o.low >= o.high || o.committed >= o.high;
}

export interface LabelGateOptions {
  source: LabelSource;
  latenessMs: number;
  /** After this long a batch goes on without the labels (counted and logged by the caller). */
  maxWaitMs: number;
  pollMs?: number;
  /**
   * How often the partitions' offsets are read from the broker again: labels published since the
   * labels consumer's last fetch, new partitions.
   */
  offsetsRefreshMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LabelWait {
  waitedMs: number;
  timedOut: boolean;
}

export interface LabelGate {
  /** Resolves once labels before t are all applied, or after the maximum wait; `heartbeat` keeps the caller's group membership. */
  wait(t: number, heartbeat?: () => Promise<void>): Promise<LabelWait>;
}

export function createLabelGate(options: LabelGateOptions): LabelGate {
  const { source, latenessMs, maxWaitMs, pollMs = 5, offsetsRefreshMs = 1000, now = Date.now } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Every t up to this is ready: label watermarks only grow.
  let readyThrough = Number.NEGATIVE_INFINITY;
  let offsets: LabelPartitionOffsets[] | undefined;
  let offsetsAt = 0;
  let reading: Promise<Map<number, LabelProgress>> | undefined;
  // Concurrent batches share one read.
  const readProgress = () => {
    reading ??= source.progress().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  async function ready(t: number): Promise<boolean> {
    const progress = await readProgress();
    if (!offsets || now() - offsetsAt >= offsetsRefreshMs || offsets.some((o) => !progress.has(o.partition))) {
      offsets = await source.offsets();
      offsetsAt = now();
    }
    let through = Number.POSITIVE_INFINITY;
    let ok = true;
    for (const o of offsets) {
      const p = progress.get(o.partition);
      if (!p) {
        through = Number.NEGATIVE_INFINITY;
        if (!untouchedReady(o)) ok = false;
        continue;
      }
      through = Math.min(through, p.watermark - latenessMs);
      if (!partitionReady(p, t, latenessMs, o.high)) ok = false;
    }
    if (offsets.length > 0 && through > readyThrough) readyThrough = through;
    return ok;
  }

  return {
    async wait(t, heartbeat) {
      if (t <= readyThrough) return { waitedMs: 0, timedOut: false };
      const start = now();
      for (;;) {
        if (await ready(t)) return { waitedMs: now() - start, timedOut: false };
        const waited = now() - start;
        if (waited >= maxWaitMs) return { waitedMs: waited, timedOut: true };
        await heartbeat?.();
        await sleep(pollMs);
      }
    },
  };
}
