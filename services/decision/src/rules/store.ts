import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { FeatureSetLike } from '../feature-set.js';
import { parseRuleSet } from './load.js';
import type { RuleSet } from './types.js';

/** A policy file (rules, ranking policy) loaded and hot-reloaded. */
export interface PolicyStore<T> {
  /** The last policy that loaded; a bad file never replaces it. */
  current(): T;
  /** Re-reads the file now; resolves true if a new rule set was applied. */
  reload(): Promise<boolean>;
  close(): void;
}

export type RuleStore = PolicyStore<RuleSet>;

export interface RuleStoreOptions {
  file: string;
  featureSet: FeatureSetLike;
  /** Polling fallback: fs.watch misses changes on some filesystems (network mounts, some editors' renames). */
  pollMs: number;
  onApplied?: (ruleSet: RuleSet) => void;
  onRefused?: (error: unknown) => void;
}

/** Loads the rule file (throwing if the first load fails) and re-applies it whenever its content changes. */
export function openRuleStore(options: RuleStoreOptions): Promise<RuleStore> {
  const { featureSet, ...rest } = options;
  return openPolicyStore({ ...rest, parse: (text, file) => parseRuleSet(text, featureSet, file) });
}

/** Loads a policy file with `parse` (throwing if the first load fails) and re-applies it whenever its content changes. */
export async function openPolicyStore<T>(options: {
  file: string;
  parse: (text: string, file: string) => T;
  pollMs: number;
  onApplied?: (policy: T) => void;
  onRefused?: (error: unknown) => void;
}): Promise<PolicyStore<T>> {
  const { file, parse, pollMs } = options;
  let text = await readFile(file, 'utf8');
  let policy = parse(text, file);
  let reloading: Promise<boolean> | undefined;

  async function load(): Promise<boolean> {
    let next: string;
    try {
      next = await readFile(file, 'utf8');
    } catch (error) {
      options.onRefused?.(error);
      return false;
    }
    // Unchanged content (a touch, or the watcher and the poll both firing) is not a reload.
    if (next === text) return false;
    text = next;
    try {
      policy = parse(next, file);
    } catch (error) {
      options.onRefused?.(error);
      return false;
    }
    options.onApplied?.(policy);
    return true;
  }

  function reload(): Promise<boolean> {
    // One reload at a time; a change during one is caught by the next event or poll.
    reloading ??= load().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  // Watch the directory, not the file: editors and `mv` replace the file, which ends a file watch.
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name === null || name === basename(file)) void reload();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const poller = setInterval(() => void reload(), pollMs);
  poller.unref();

  return {
    current: () => policy,
    reload,
    close() {
      watcher?.close();
      clearInterval(poller);
    },
  };
}
