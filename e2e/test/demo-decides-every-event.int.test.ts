import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servers } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `npm run demo`'s program against the test servers and returns its exit code and output. */
function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'e2e', 'src', 'demo', 'main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...servers() },
    });
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

describe('the demo', () => {
  // The demo runs the services' compiled build, as `npm run demo` does after `npm run build`.
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  });

  it('decides every event it produced exactly once and every service stops cleanly', async () => {
    const { code, stdout, stderr } = await runDemo(['--rate', '100', '--duration', '6s', '--seed', '11', '--quiet']);
    const last = stdout.trim().split('\n').at(-1) ?? '';
    expect(last.startsWith('{"demo"'), `last line is the summary JSON; stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(
      true,
    );
    const { demo } = JSON.parse(last);
    const sent = demo.published.transactions;
    expect(sent).toBeGreaterThan(400);
    // Each transaction has exactly one decision, or a dead letter with its reason (none expected).
    expect(demo.deadLetters.total).toBe(0);
    expect(demo.undecided).toBe(0);
    expect(demo.decisions.duplicates).toBe(0);
    expect(demo.decisions.events).toBe(sent);
    expect(demo.decisions.received).toBe(sent);
    expect(demo.rows.decisions).toBe(sent);
    // The publish time travelled through every hop: each decision has an end-to-end latency.
    expect(demo.decisions.latencyMs.count).toBe(sent);
    expect(demo.services.map((s: { name: string }) => s.name)).toEqual([
      'features',
      'scorer',
      'decision',
      'sink',
      'monitor',
      'console',
    ]);
    for (const service of demo.services) expect(service, service.name).toMatchObject({ clean: true, code: 0 });
    expect(demo.ok).toBe(true);
    expect(code).toBe(0);
    expect(stdout).toContain('Demo complete.');
  }, 240_000);
});
