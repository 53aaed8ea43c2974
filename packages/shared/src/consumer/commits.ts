import { perTurn } from '../batching/per-turn.js';
import type { Logger } from '../logging/logger.js';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume: one after the last durable message. */
  offset: string;
}

export interface Committer {
  /**
   * Commits a durable batch's next offset. Immediately: the commits asked for in the same turn of
   * the event loop go out as one request, and this resolves once it is acknowledged. With an
   * interval: recorded, and committed with the others on the timer, on rebalance and on stop.
   */
  commit(next: PartitionOffset): Promise<void>;
  /** Commits what is recorded for the interval now. */
  flush(): Promise<void>;
  /** Forgets what is recorded: after a rebalance, the partitions' owners redeliver it. */
  forget(): void;
  /** From now on every commit goes out immediately (the consumer is stopping). */
  stopTimer(): void;
}

export function createCommitter(options: {
  commitOffsets: (offsets: PartitionOffset[]) => Promise<void>;
  intervalMs: number;
  logger: Logger;
}): Committer {
  const { commitOffsets, logger } = options;
  let intervalMs = options.intervalMs;

  // Immediate commits of one turn of the event loop, sent together.
  const commitNow = perTurn((offsets: PartitionOffset[]) => {
    const sent = commitOffsets([...latestPerPartition(offsets).values()]);
    return offsets.map(() => sent);
  });

  /** Next offset to commit per topic-partition, for durable batches waiting for the interval. */
  const durable = new Map<string, PartitionOffset>();
  const flush = async () => {
    if (durable.size === 0) return;
    const offsets = [...durable.values()];
    durable.clear();
    try {
      await commitOffsets(offsets);
    } catch (error) {
      // A rebalance took the partitions: their new owner starts from the last commit and redelivers.
      logger.warn({ err: error, partitions: offsets.length }, 'interval commit failed; batches will be redelivered');
    }
  };
  let timer = intervalMs > 0 ? setInterval(() => void flush(), intervalMs) : undefined;

  return {
    commit(next) {
      if (intervalMs === 0) return commitNow(next);
      latestPerPartition([next], durable);
      return Promise.resolve();
    },
    flush,
    forget: () => durable.clear(),
    stopTimer() {
      clearInterval(timer);
      timer = undefined;
      intervalMs = 0;
    },
  };
}

/** The latest offset of each topic-partition, added to `into`. */
function latestPerPartition(
  offsets: readonly PartitionOffset[],
  into = new Map<string, PartitionOffset>(),
): Map<string, PartitionOffset> {
  for (const next of offsets) {
    const key = `${next.topic}:${next.partition}`;
    const current = into.get(key);
    if (!current || BigInt(next.offset) >= BigInt(current.offset)) into.set(key, next);
  }
  return into;
}
