/**
 * `connect` run on first use, its result shared, and run again on the next use after a failure: a
 * server that is down when the console starts is tried again when next needed, instead of stopping
 * the console.
 */
export function lazily<T>(connect: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= connect().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
