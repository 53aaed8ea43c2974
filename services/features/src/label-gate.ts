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
 * Whether the labels consumer has consumed everything there was on the partition when it last
 * fetched and when the broker was last asked (`brokerHigh`): any label it has not applied was
 * published after that lookup (live traffic: labels count as they arrive).
 */
export function partitionCaughtUp(p: LabelProgress, brokerHigh = 0n): boolean {
  return p.nextOffset >= p.highWatermark && p.nextOffset >= brokerHigh;
}

/**
 * Whether the partition can hold no more labels that count before t: its label-time watermark is
 * at least t + lateness (a label before t arriving now would be late, dead-lettered), or it is
 * caught up (`partitionCaughtUp`).
 */
export function partitionReady(p: LabelProgress, t: number, latenessMs: number, brokerHigh = 0n): boolean {
  return p.watermark - latenessMs >= t || partitionCaughtUp(p, brokerHigh);
}

/** A partition without recorded progress: ready only when the labels group has nothing to consume there. */
export function untouchedReady(o: LabelPartitionOffsets): boolean {
  return o.low >= o.high || o.committed >= o.high;
}

/** What the partitions' progress says, judged against one lookup of their offsets. */
export interface LabelJudgement {
  /** Every label before t is applied, or was not on the broker at the lookup. */
  ready: boolean;
  /** Every time up to this is ready from now on (label watermarks only grow; -Infinity: none). */
  through: number;
  /**
   * Every partition is ready whatever the time (caught up, or untouched with nothing to consume):
   * so it stays until the offsets are read again, since progress only grows.
   */
  caughtUp: boolean;
}

/** Judges every partition of one lookup (a partition not in it waits for the next lookup). */
export function judgeLabels(
  offsets: readonly LabelPartitionOffsets[],
  progress: ReadonlyMap<number, LabelProgress>,
  t: number,
  latenessMs: number,
): LabelJudgement {
  let through = offsets.length > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let ready = true;
  let caughtUp = true;
  for (const o of offsets) {
    const p = progress.get(o.partition);
    if (!p) {
      through = Number.NEGATIVE_INFINITY;
      if (!untouchedReady(o)) ready = caughtUp = false;
      continue;
    }
    through = Math.min(through, p.watermark - latenessMs);
    if (!partitionCaughtUp(p, o.high)) {
      caughtUp = false;
      if (!partitionReady(p, t, latenessMs, o.high)) ready = false;
    }
  }
  return { ready, through, caughtUp };
}

export interface LabelGateOptions {
  source: LabelSource;
  latenessMs: number;
  /** After this long a batch goes on without the labels (counted and logged by the caller). */
  maxWaitMs: number;
  pollMs?: number;
  /**
   * How long one lookup of the partitions' offsets on the broker is used (at most one lookup per
   * this interval, shared by concurrent batches): labels published since the labels consumer's
   * last fetch count once the next lookup sees them; new partitions likewise.
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

/** One lookup of the broker's offsets, and whether every partition was found caught up against it. */
interface OffsetsSnapshot {
  offsets: LabelPartitionOffsets[];
  /** When the lookup was asked for: the broker's answer is no older. */
  at: number;
  caughtUp: boolean;
}

/**
 * A batch costs nothing when its time is behind every label watermark (`readyThrough`) or every
 * partition was caught up against the current offsets snapshot; otherwise one progress read
 * (shared by concurrent batches), plus one offsets lookup when the snapshot is `offsetsRefreshMs` old
 * (in the background while the last one found every partition caught up).
 */
export function createLabelGate(options: LabelGateOptions): LabelGate {
  const { source, latenessMs, maxWaitMs, pollMs = 5, offsetsRefreshMs = 1000, now = Date.now } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Every t up to this is ready: label watermarks only grow.
  let readyThrough = Number.NEGATIVE_INFINITY;
  let snapshot: OffsetsSnapshot | undefined;
  let reading: Promise<Map<number, LabelProgress>> | undefined;
  let looking: Promise<OffsetsSnapshot> | undefined;
  // Concurrent batches share one read and one lookup.
  const readProgress = () => {
    reading ??= source.progress().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const lookUp = () => {
    if (!looking) {
      const at = now();
      looking = source
        .offsets()
        .then((offsets) => {
          snapshot = { offsets, at, caughtUp: false };
          return snapshot;
        })
        .finally(() => {
          looking = undefined;
        });
    }
    return looking;
  };
  const fresh = (s: OffsetsSnapshot | undefined): s is OffsetsSnapshot => !!s && now() - s.at < offsetsRefreshMs;

  async function ready(t: number): Promise<boolean> {
    if (t <= readyThrough) return true;
    const current = snapshot;
    if (current?.caughtUp) {
      const age = now() - current.at;
      if (age < offsetsRefreshMs) return true;
      // Caught up at the last lookup: the next one runs in the background instead of stalling every
      // batch for two admin requests each second. Past two intervals, batches wait for it.
      if (age < 2 * offsetsRefreshMs) {
        lookUp().catch(() => {});
        return true;
      }
    }
    const [progress, judged] = await Promise.all([readProgress(), fresh(current) ? current : lookUp()]);
    const verdict = judgeLabels(judged.offsets, progress, t, latenessMs);
    if (verdict.through > readyThrough) readyThrough = verdict.through;
    if (verdict.caughtUp && judged === snapshot) judged.caughtUp = true;
    return verdict.ready;
  }

  return {
    async wait(t, heartbeat) {
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
