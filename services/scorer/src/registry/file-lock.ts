import { open, stat, unlink } from 'node:fs/promises';
import { RegistryBusyError } from '../errors.js';

export interface LockOptions {
  /** How long to wait for a lock another writer holds before giving up. */
  timeoutMs: number;
  /** A lock older than this is a crashed writer's: it is removed. A write holds it for milliseconds. */
  staleMs: number;
}

export const DEFAULT_LOCK: LockOptions = { timeoutMs: 10_000, staleMs: 30_000 };

/**
 * Runs `fn` holding `lockPath`, a file created with O_EXCL (`wx`): one writer at a time, across
 * processes on one file system (the console, `npm run model`, the retraining job). Taken again after
 * 5–25 ms while another writer holds it; a lock older than `staleMs` (its writer died between
 * creating and removing it) is removed and taken. Two writers finding the same stale lock at the same
 * moment could both take it; a stale lock needs a crash first, so that is left as is.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = DEFAULT_LOCK,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify({ pid: process.pid, at: new Date().toISOString() })}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0, // removed meanwhile: try again at once
    );
    if (age > options.staleMs) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new RegistryBusyError(
        `${lockPath} is held by another writer (for ${Math.round(age)} ms); gave up after ${options.timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
