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
  /**
   * Every partition of the labels topic, with its offsets; its low offsets and the labels group's
   * commits only when `committed` is asked for (else -1: a partition without progress is then not
   * ready, and the gate asks again with them).
   */
  offsets(options?: { committed?: boolean }): Promise<LabelPartitionOffsets[]>;
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
 * fetched and when the broker was asked (`brokerHigh`): any label it has not applied was published
 * after that lookup, so after any transaction received before the lookup was asked for.
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
   * Longest one lookup of the partitions' offsets is used: for the partitions' list when label
   * watermarks alone answer (a replay), and while a batch waits (new partitions, the labels group's
   * commits).
   */
  offsetsRefreshMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LabelWait {
  waitedMs: number;
  timedOut: boolean;
}

/** A place in the gate's sequence of offsets lookups: how many had been asked for. */
export type LookupMark = number;

export interface LabelGate {
  /**
   * To be called once records have been received: only a lookup asked for later can vouch for them
   * (`wait`'s `received`). With `prefetch`, that lookup is asked for now, in the background, unless
   * label watermarks answered the last batch.
   */
  received(prefetch?: boolean): LookupMark;
  /**
   * Resolves once labels before t are all applied, or after the maximum wait. `received`: the mark
   * taken when the batch's records arrived (default: now); `heartbeat` keeps the caller's group
   * membership.
   */
  wait(t: number, options?: { received?: LookupMark; heartbeat?: () => Promise<void> }): Promise<LabelWait>;
}

/** One lookup of the broker's offsets, and whether every partition was found caught up against it. */
interface OffsetsSnapshot {
  offsets: LabelPartitionOffsets[];
  /** Its place in the sequence: it vouches for records received before it was asked for. */
  seq: number;
  /** When it was asked for. */
  at: number;
  caughtUp: boolean;
}

/**
 * A label published before a transaction is on the broker before the transaction can be fetched;
 * so a lookup of the labels' offsets asked for after the transaction's batch was received (fetch
 * response in hand) has every such label below its high watermarks, and "caught up" against it
 * proves them applied. An earlier lookup proves nothing about labels published since, however
 * recent it is: the gate holds each batch to a lookup asked for after its `received` mark. This
 * compares events in this process's own order, not timestamps: record timestamps (CreateTime,
 * stamped by the producer before the broker appends) and other hosts' clocks cannot order a
 * lookup against a label's append.
 *
 * A batch costs nothing when its time is behind every label watermark (`readyThrough`), or when
 * every partition was caught up against a lookup asked for after its records arrived (batches of
 * a backlog share one). Otherwise one progress read (shared by concurrent batches), and one lookup
 * asked for after its records arrived unless one already was (`received(true)` asks for it as
 * the records come in, so it is usually answered before their round waits); label watermarks past
 * t answer without a new lookup.
 */
export function createLabelGate(options: LabelGateOptions): LabelGate {
  const { source, latenessMs, maxWaitMs, pollMs = 5, offsetsRefreshMs = 1000, now = Date.now } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // Every t up to this is ready: label watermarks only grow.
  let readyThrough = Number.NEGATIVE_INFINITY;
  let snapshot: OffsetsSnapshot | undefined;
  let issued = 0;
  let known: ReadonlyMap<number, LabelProgress> | undefined;
  let reading: Promise<Map<number, LabelProgress>> | undefined;
  let looking: { seq: number; answer: Promise<OffsetsSnapshot> } | undefined;
  // Whether the last judgement needed the broker (live) rather than label watermarks (a replay).
  let brokerNeeded = true;
  // Concurrent batches share one read and one lookup.
  const readProgress = () => {
    reading ??= source
      .progress()
      .then((progress) => {
        known = progress;
        return progress;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const lookUp = (): Promise<OffsetsSnapshot> => {
    const seq = ++issued;
    const at = now();
    // The group's commits matter only for a partition without progress; they only grow, so the
    // last lookup's stay a lower bound.
    const withCommitted = !snapshot || !known || snapshot.offsets.some((o) => !known?.has(o.partition));
    const answer = source
      .offsets({ committed: withCommitted })
      .then((offsets) => {
        const before = new Map((snapshot?.offsets ?? []).map((o) => [o.partition, o.committed]));
        const merged = withCommitted
          ? offsets
          : offsets.map((o) => ({ ...o, committed: before.get(o.partition) ?? o.committed }));
        const answered: OffsetsSnapshot = { offsets: merged, seq, at, caughtUp: false };
        if (!snapshot || seq > snapshot.seq) snapshot = answered;
        return answered;
      })
      .finally(() => {
        if (looking?.seq === seq) looking = undefined;
      });
    looking = { seq, answer };
    return answer;
  };
  const lookUpAfter = (mark: LookupMark) => (looking && looking.seq > mark ? looking.answer : lookUp());
  const recent = (s: OffsetsSnapshot) => now() - s.at < offsetsRefreshMs;

  async function ready(t: number, mark: LookupMark): Promise<boolean> {
    if (t <= readyThrough) return true;
    const current = snapshot;
    const vouched = current && current.seq > mark && recent(current) ? current : undefined;
    if (vouched?.caughtUp) return true;
    let progress: Map<number, LabelProgress>;
    let judged: OffsetsSnapshot;
    if (vouched) {
      judged = vouched;
      progress = await readProgress();
    } else if (current && recent(current) && !brokerNeeded) {
      // A replay: label watermarks past t answer without the broker.
      progress = await readProgress();
      const verdict = judgeLabels(current.offsets, progress, t, latenessMs);
      if (verdict.through > readyThrough) readyThrough = verdict.through;
      if (t <= readyThrough) return true;
      judged = await lookUpAfter(mark);
    } else {
      [progress, judged] = await Promise.all([readProgress(), lookUpAfter(mark)]);
    }
    const verdict = judgeLabels(judged.offsets, progress, t, latenessMs);
    if (verdict.through > readyThrough) readyThrough = verdict.through;
    if (verdict.caughtUp) judged.caughtUp = true;
    brokerNeeded = t > readyThrough;
    return verdict.ready;
  }

  return {
    received(prefetch = false) {
      const mark = issued;
      if (prefetch && brokerNeeded) lookUp().catch(() => {});
      return mark;
    },
    async wait(t, { received = issued, heartbeat } = {}) {
      const start = now();
      for (;;) {
        if (await ready(t, received)) return { waitedMs: now() - start, timedOut: false };
        const waited = now() - start;
        if (waited >= maxWaitMs) return { waitedMs: waited, timedOut: true };
        await heartbeat?.();
        await sleep(pollMs);
      }
    },
  };
}
