/**
 * Micro-batching: items wait until `maxSize` of them are queued or the first has waited `maxWaitMs`,
 * whichever comes first, so a lone event is held back at most `maxWaitMs`. A flush runs while the
 * next batch fills; flushes may overlap (the pool queues them).
 */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface MicroBatcher<T, R> {
  /** Resolves with the item's result once its batch is flushed. */
  add(item: T): Promise<R>;
  /** Flushes what is queued now. */
  flush(): void;
  readonly queued: number;
}

export function createMicroBatcher<T, R>(options: {
  maxSize: number;
  maxWaitMs: number;
  /** Results in item order, one per item. */
  run: (items: T[]) => Promise<R[]>;
  clock?: Clock;
}): MicroBatcher<T, R> {
  const { maxSize, maxWaitMs, run, clock = systemClock } = options;
  let items: T[] = [];
  let waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let timer: unknown = null;

  function flush(): void {
    if (timer !== null) {
      clock.clearTimeout(timer);
      timer = null;
    }
    if (items.length === 0) return;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    run(batch).then(
      (results) => {
        if (results.length !== batch.length) {
          const error = new Error(`batch of ${batch.length} gave ${results.length} results`);
          for (const w of batchWaiters) w.reject(error);
          return;
        }
        batchWaiters.forEach((w, i) => {
          w.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const w of batchWaiters) w.reject(error);
      },
    );
  }

  return {
    get queued() {
      return items.length;
    },
    flush,
    add(item) {
      return new Promise<R>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= maxSize) flush();
        else if (timer === null) timer = clock.setTimeout(flush, maxWaitMs);
      });
    },
  };
}
