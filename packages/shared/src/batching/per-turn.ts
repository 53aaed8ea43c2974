export interface PerTurnOptions {
  /**
   * At most this many runs unsettled at once: calls made meanwhile wait, and go in one run together
   * when one settles. Under load, requests then grow with the round trip instead of multiplying; idle,
   * nothing waits. Unlimited by default.
   */
  maxInFlight?: number;
}

/**
 * Calls made in one turn of the event loop, handed over together: the batches of one fetch are
 * handled side by side, and their sends, commits or decisions can then share one request.
 * `run` gets the turn's items in call order and returns one promise per item; each caller's promise
 * settles with its own.
 */
export function perTurn<T, R>(
  run: (items: T[]) => Promise<R>[],
  options: PerTurnOptions = {},
): (item: T) => Promise<R> {
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  let queue: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;
  let inFlight = 0;
  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = () => {
    scheduled = false;
    const taken = queue;
    queue = [];
    let results: Promise<R>[];
    try {
      results = run(taken.map((q) => q.item));
    } catch (error) {
      for (const q of taken) q.reject(error);
      schedule();
      return;
    }
    inFlight += 1;
    const settled = taken.map((q, i) =>
      (results[i] ?? Promise.reject(new Error(`no result for item ${i} of ${taken.length}`))).then(q.resolve, q.reject),
    );
    void Promise.all(settled).then(() => {
      inFlight -= 1;
      schedule();
    });
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}
