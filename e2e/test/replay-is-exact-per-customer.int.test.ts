import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servers } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'verify-replay-'));

function runVerify(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'e2e', 'src', 'verify-replay', 'main.ts'), ...args],
      { cwd: root, env: { ...process.env, ...servers() } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('verify:replay', () => {
  // It runs the services' compiled build, as `npm run verify:replay` does after `npm run build`.
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('logs every vector and finds the customer and event features exact on a slow replay', async () => {
    const args = ['--days', '2', '--customers', '300', '--terminals', '200', '--speed', 'slow', '--lag-cap', '500'];
    const { code, stdout, stderr } = await runVerify([...args, '--seed', '5', '--out', out]);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    expect(last.startsWith('{"verify":"replay"'), `last line is the JSON; stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(
      true,
    );
    expect(code).toBe(0);
    const figures = JSON.parse(last);
    expect(figures.transactions).toBeGreaterThan(1000);
    expect(figures).toMatchObject({ speed: 'slow', lag_cap: 500, refused: 0, missing: 0, unexpected: 0 });
    expect(figures.vectors).toBe(figures.transactions);
    // One customer's events share a partition, in order: exact. A terminal's cross partitions: measured, not asserted.
    expect(figures.group_shares.customer).toBe(1);
    expect(figures.group_shares.event).toBe(1);
    expect(figures.group_shares.terminal_counts).toBeGreaterThanOrEqual(0);
    const file = join(out, `verify-replay-${new Date().toISOString().slice(0, 10)}-slow.md`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('| customer_* (one partition per customer) | 20 |');
  }, 300_000);
});
