import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withLock } from './lock.js';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'infra-lock-')), 'run', 'infra.lock');

describe('withLock', () => {
  it('runs callers one after the other and removes the lock', async () => {
    const path = lockIn();
    const events: string[] = [];
    const waits: number[] = [];
    const job = (name: string) =>
      withLock(
        path,
        async () => {
          events.push(`${name} in`);
          await new Promise((r) => setTimeout(r, 300));
          events.push(`${name} out`);
        },
        { onWait: (holder) => waits.push(holder) },
      );
    await Promise.all([job('a'), job('b')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(waits).toEqual([process.pid]);
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock whose holder is dead, and releases on failure', async () => {
    const path = lockIn();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, dead.stdout);
    let ran = false;
    await withLock(path, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    await expect(withLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(path)).toBe(false);
  });

  it('gives up naming the holder', async () => {
    const path = lockIn();
    const holding = withLock(path, () => new Promise((r) => setTimeout(r, 800)));
    await new Promise((r) => setTimeout(r, 50));
    await expect(withLock(path, async () => {}, { timeoutMs: 200 })).rejects.toThrow(`held by process ${process.pid}`);
    await holding;
  });
});
