import { metrics } from '@opentelemetry/api';
import { AbandonedBatchError, type FetchedPartition, type FetchTimes, type Logger } from '@pipeline/shared';
import { type Aligned, createAligner, type FetchedLane, type RoundLimit } from './alignment.js';
import type { Frontier } from './frontier.js';

/**
 * Applies the records of several partitions (lanes) in rounds, in event-time order across them
 * (alignment.ts), for a handler that buffers each batch and returns `settled`: the transactions'
 * and the declared use cases' alike. A batch is checked by its handler, its accepted records pushed
 * here with its lane; each round takes what the aligner releases, `apply` makes it durable, and a
 * batch settles once its last record's round is. With several members of the group, each publishes
 * where its lanes stand and holds its records back for the others' (frontier.ts). At a rebalance
 * every buffered record is dropped and its batch settled as abandoned (consumed again from its last
 * commit); after a failure, every buffered batch fails (the consumer seeks back).
 */

/** A batch whose accepted records wait in the merge. */
export interface RoundBatch<R> {
  /** Its records not applied yet. */
  remaining: number;
  /** Refusals found while applying them (expired duplicates): dead-lettered before the commit. */
  rejected: R[];
  resolve(late: { rejected: R[] }): void;
  reject(error: unknown): void;
}

/** A record waiting in the merge, with the batch it came in. */
export interface RoundItem<R> extends Aligned {
  batch: RoundBatch<R>;
}

export interface RoundsOptions<I extends RoundItem<unknown>> {
  /** Applies a round, in the order given; its batches settle once it returns. */
  apply(items: I[]): Promise<void>;
  logger: Logger;
  /** Most a lane with data on the broker and none buffered holds the others back (see alignment.ts). */
  alignMaxWaitMs: number;
  /** A caught-up lane counts only once a later fetch confirms it (see alignment.ts). */
  alignConfirm?: boolean;
  /** The group's other members' lanes, and how many lanes there are (while this member holds fewer). */
  frontier?: { shared: Frontier; lanes: number };
  /** Most another member's lane that makes no progress holds records back (see alignment.ts). */
  alignMemberWaitMs?: number;
  /** Most a round takes (unbounded by default): a backlog's records are applied in rounds of this size. */
  roundLimit?: RoundLimit<I>;
  /** The lane of a topic's partition (the only topic's partition number by default). */
  laneOf?: (topic: string, partition: number) => number;
}

/**
 * Most one round applies, by weight (a transaction or an interaction 1, a request 1 + its
 * candidates): a backlog is applied in rounds of this size, not held in memory as one.
 */
export const ROUND_MAX_WEIGHT = 20_000;

/** While another member's lane holds records back, its published state is read this often. */
const FRONTIER_POLL_MS = 10;

export function createRounds<R, I extends RoundItem<R>>(options: RoundsOptions<I>) {
  const { logger, laneOf = (_topic: string, partition: number) => partition } = options;
  const passedOver = metrics.getMeter('pipeline.features').createCounter('features_alignment_passed_over', {
    description: 'Partitions passed over after holding the others back for FEATURES_ALIGN_MAX_WAIT',
  });
  const aligner = createAligner<I>({
    maxWaitMs: options.alignMaxWaitMs,
    memberWaitMs: options.alignMemberWaitMs ?? options.alignMaxWaitMs,
    confirmCaughtUp: options.alignConfirm ?? false,
  });
  let draining = false;
  let retry: NodeJS.Timeout | undefined;
  let local = new Set<number>();
  const others = (): number[] => {
    const f = options.frontier;
    if (!f || local.size >= f.lanes) return [];
    return Array.from({ length: f.lanes }, (_, lane) => lane).filter((lane) => !local.has(lane));
  };

  const settle = (items: I[]) => {
    for (const item of items) {
      const b = item.batch;
      b.remaining -= 1;
      if (b.remaining === 0) b.resolve({ rejected: b.rejected });
    }
  };

  /** Batches whose records were dropped at a rebalance: consumed again from the last commit. */
  const abandon = (dropped: I[]) => {
    for (const b of new Set(dropped.map((item) => item.batch))) b.reject(new AbandonedBatchError());
  };

  const drain = async () => {
    if (draining) return;
    draining = true;
    let items: I[] = [];
    try {
      for (;;) {
        const remote = others();
        const shared = remote.length > 0 ? options.frontier?.shared : undefined;
        aligner.remote(shared ? await shared.others(remote) : [], Date.now());
        const taken = aligner.take(Date.now(), options.roundLimit);
        if (taken.passedOver > 0) {
          passedOver.add(taken.passedOver);
          logger.warn({ partitions: taken.passedOver }, 'partitions held the others back too long; passed over');
        }
        items = taken.items;
        if (items.length === 0) {
          await shared?.publish(aligner.states());
          if (taken.retryAt !== undefined && !retry) {
            // Another member's progress shows only in Redis: look again soon.
            const at = shared ? Math.min(taken.retryAt, Date.now() + FRONTIER_POLL_MS) : taken.retryAt;
            retry = setTimeout(
              () => {
                retry = undefined;
                void drain();
              },
              Math.max(0, at - Date.now()),
            );
          }
          return;
        }
        await options.apply(items);
        settle(items);
        items = [];
        await shared?.publish(aligner.states());
      }
    } catch (error) {
      // Everything buffered is consumed again from its batch (the consumer seeks back).
      const failed = new Set([...items, ...aligner.clear()].map((item) => item.batch));
      for (const b of failed) b.reject(error);
    } finally {
      draining = false;
    }
  };

  return {
    /** A batch of `count` accepted records, and the promise the handler returns as `settled`. */
    batch<B extends RoundBatch<R>>(
      count: number,
      extra: Omit<B, keyof RoundBatch<R>>,
    ): { batch: B; settled: Promise<{ rejected: R[] }> } {
      let resolve!: RoundBatch<R>['resolve'];
      let reject!: RoundBatch<R>['reject'];
      const settled = new Promise<{ rejected: R[] }>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { batch: { ...extra, remaining: count, rejected: [], resolve, reject } as unknown as B, settled };
    },
    /** A batch's accepted records, in offset order; taken once the other batches of its fetch are pushed too. */
    push(topic: string, partition: number, items: readonly I[]) {
      aligner.push(laneOf(topic, partition), items);
      setImmediate(() => void drain());
    },
    onFetch(partitions: FetchedPartition[], at: FetchTimes) {
      aligner.fetched(
        partitions.map(
          (p): FetchedLane => ({
            partition: laneOf(p.topic, p.partition),
            highWatermark: BigInt(p.highWatermark),
            nextOffset: BigInt(p.nextOffset),
            delivered: p.delivered,
          }),
        ),
        at,
      );
      // what this fetch confirms caught up may release records held for it
      setImmediate(() => void drain());
    },
    onRebalancing() {
      abandon(aligner.clear());
    },
    onAssigned(assignment: Record<string, number[]>) {
      const lanes = Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => laneOf(topic, p)),
      );
      local = new Set(lanes);
      abandon(aligner.assigned(lanes));
      void drain();
    },
  };
}
