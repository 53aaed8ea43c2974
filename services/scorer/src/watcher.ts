import { type ServingSet, signatureOf } from './models.js';
import { servingSet } from './registry/aliases.js';
import { servingSetOf, topBlock } from './registry/scopes.js';
import type { ModelRegistry } from './registry/types.js';

export interface ModelWatcher {
  /** The set every new micro-batch is scored with. */
  current(): ServingSet;
  /**
   * One poll that reads the alias file after this call (tests, and the interval). Resolves once any
   * change is applied or refused.
   */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Hot swap by polling the alias file. A changed assignment is loaded completely (every model
 * checked and warmed in every worker) before `current()` returns it; batches already flushed finish
 * on the set they took. A set that fails to load is refused (`onRefused`), the old one keeps
 * serving, and the same assignment is not retried until the alias file changes again.
 */
export function createModelWatcher(options: {
  registry: ModelRegistry;
  initial: ServingSet;
  load: () => Promise<ServingSet>;
  pollMs: number;
  /** The alias scope served (the feature set's name, as loadServingSet); default: the default scope. */
  scope?: string;
  onSwap?: (next: ServingSet, previous: ServingSet) => void;
  onRefused?: (error: unknown, signature: string) => void;
}): ModelWatcher {
  let current = options.initial;
  let refused: string | null = null;
  let checking: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  async function poll(): Promise<void> {
    let signature: string;
    try {
      const file = await options.registry.aliases();
      const { registry, scope } = options;
      signature = signatureOf(
        scope === undefined
          ? servingSet(topBlock(file))
          : await servingSetOf(file, scope, (ref) => registry.metadata(ref)),
      );
    } catch (error) {
      options.onRefused?.(error, 'unreadable alias file');
      return;
    }
    if (signature === current.signature || signature === refused) return;
    try {
      const next = await options.load();
      const previous = current;
      current = next;
      refused = null;
      options.onSwap?.(next, previous);
    } catch (error) {
      refused = signature;
      options.onRefused?.(error, signature);
    }
  }

  // A poll already under way may have read the file before the caller changed it: callers that come
  // meanwhile share one poll after it.
  const check = (): Promise<void> => {
    if (checking) {
      next ??= checking.then(() => {
        next = null;
        return check();
      });
      return next;
    }
    checking = poll().finally(() => {
      checking = null;
    });
    return checking;
  };
  const timer = setInterval(() => void check(), options.pollMs);
  timer.unref();
  return { current: () => current, check, stop: () => clearInterval(timer) };
}
