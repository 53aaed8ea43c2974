import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { FeatureSetLike } from '../feature-set.js';
import { parseRuleSet } from './load.js';
import type { RuleSet } from './types.js';

export interface RuleStore {
  /** The last rule set that loaded; a bad file never replaces it. */
  current(): RuleSet;
  /** Re-reads the file now; resolves true if a new rule set was applied. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface RuleStoreOptions {
  file: string;
  featureSet: FeatureSetLike;
  /** Polling fallback: fs.watch misses changes on some filesystems (network mounts, some editors' renames). */
  pollMs: number;
  onApplied?: (ruleSet: RuleSet) => void;
  onRefused?: (error: unknown) => void;
}

/** Loads the rule file (throwing if the first load fails) and re-applies it whenever its content changes. */
export async function openRuleStore(options: RuleStoreOptions): Promise<RuleStore> {
  const { file, featureSet, pollMs } = options;
  let text = await readFile(file, 'utf8');
  let ruleSet = parseRuleSet(text, featureSet, file);
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
      ruleSet = parseRuleSet(next, featureSet, file);
    } catch (error) {
      options.onRefused?.(error);
      return false;
    }
    options.onApplied?.(ruleSet);
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
    current: () => ruleSet,
    reload,
    close() {
      watcher?.close();
      clearInterval(poller);
    },
  };
}
