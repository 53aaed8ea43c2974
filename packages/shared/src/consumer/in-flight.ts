/** A batch whose handler has returned but whose output becomes durable later. */
export interface InFlightBatch {
  topic: string;
  partition: number;
  firstOffset: string;
}

export interface InFlight {
  /**
   * Runs `durable` once `settled` and every earlier batch of the same partition have resolved, in
   * offset order. If any of them fails, `onFailed` is called once for the first failed batch, and
   * nothing after it in that partition runs `durable` (the partition restarts from that batch).
   */
  track(batch: InFlightBatch, settled: Promise<void>, durable: () => Promise<void>): void;
  /** Batches tracked and not yet finished. */
  readonly size: number;
  /** Resolves once fewer than `max` batches are in flight. */
  below(max: number): Promise<void>;
  /** Resolves once every tracked batch has finished. */
  drain(): Promise<void>;
}

export function createInFlight(onFailed: (batch: InFlightBatch, error: unknown) => void): InFlight {
  const chains = new Map<string, { epoch: number; tail: Promise<void> }>();
  let size = 0;
  let listeners: (() => void)[] = [];
  const finished = () => {
    size -= 1;
    const notify = listeners;
    listeners = [];
    for (const l of notify) l();
  };
  const below = async (max: number) => {
    while (size >= max) await new Promise<void>((r) => listeners.push(r));
  };

  return {
    get size() {
      return size;
    },
    track(batch, settled, durable) {
      const key = `${batch.topic}:${batch.partition}`;
      let chain = chains.get(key);
      if (!chain) {
        chain = { epoch: 0, tail: Promise.resolve() };
        chains.set(key, chain);
      }
      const own = chain;
      const epoch = own.epoch;
      size += 1;
      // The settle promise is observed now: a rejection before its turn is not "unhandled".
      const outcome = settled.then(
        () => null,
        (error: unknown) => ({ error }),
      );
      own.tail = own.tail
        .then(async () => {
          const failed = await outcome;
          if (own.epoch !== epoch) return;
          if (failed) throw failed.error;
          await durable();
        })
        .catch((error: unknown) => {
          if (own.epoch !== epoch) return;
          own.epoch += 1;
          onFailed(batch, error);
        })
        .finally(finished);
    },
    below,
    drain: () => below(1),
  };
}
