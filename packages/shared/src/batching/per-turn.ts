/**
 * Calls made in one turn of the event loop, handed over together: the batches of one fetch are
 * handled side by side, and their sends, commits or decisions can then share one request.
 * `run` gets the turn's items in call order and returns one promise per item; each caller's promise
 * settles with its own.
 */
export function perTurn<T, R>(run: (items: T[]) => Promise<R>[]): (item: T) => Promise<R> {
  let queue: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const taken = queue;
    queue = [];
    let results: Promise<R>[];
    try {
      results = run(taken.map((q) => q.item));
    } catch (error) {
      for (const q of taken) q.reject(error);
      return;
    }
    taken.forEach((q, i) => {
      (results[i] ?? Promise.reject(new Error(`no result for item ${i} of ${taken.length}`))).then(q.resolve, q.reject);
    });
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ item, resolve, reject });
    });
}
