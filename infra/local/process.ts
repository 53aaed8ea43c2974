import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, localPath } from './paths.js';

/** Where a server's pid and log live: .local/run/<name>.pid and .local/logs/<name>.log. */
export function pidFile(name: string): string {
  return localPath('run', `${name}.pid`);
}

export function logFile(name: string): string {
  return localPath('logs', `${name}.log`);
}

export function readPid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a server detached from this process, so it outlives `infra:up`; output goes to its log. */
export function spawnDetached(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  const log = logFile(name);
  ensureDir(dirname(log));
  ensureDir(dirname(pidFile(name)));
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    child.unref();
    writeFileSync(pidFile(name), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns whether a process was stopped. */
export async function stopByPid(name: string, graceMs = 20_000): Promise<boolean> {
  const pid = readPid(name);
  if (pid === undefined) return false;
  let stopped = false;
  if (isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
    stopped = true;
  }
  rmSync(pidFile(name), { force: true });
  return stopped;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Last lines of a server's log, for failure messages. */
export function tailLog(name: string, lines = 15): string {
  const file = logFile(name);
  if (!existsSync(file)) return '(no log yet)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
