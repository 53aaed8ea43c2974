import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir } from './paths.js';
import { sleep } from './process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL, holding our pid). Two `infra:up`
 * at once would otherwise both start Kafka: the second fails on its ports but overwrites the pid
 * file, leaving a broker nobody can stop. A lock whose holder is dead is taken over.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<T> {
  ensureDir(dirname(path));
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(path, 'utf8'));
    } catch {
      continue; // Released between our open and read: try again.
    }
    if (!Number.isInteger(holder) || !alive(holder)) {
      unlinkSync(path);
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`${path} is held by process ${holder}; remove it if that process is not infra`);
    if (!announced) options.onWait?.(holder);
    announced = true;
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    unlinkSync(path);
  }
}
