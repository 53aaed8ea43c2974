import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServerStartError, up } from './index.js';
import type { LocalServer } from './server.js';

const lockFile = () => join(mkdtempSync(join(tmpdir(), 'infra-up-')), 'infra.lock');

function server(name: string, answersAfterStart: boolean, calls: string[]): LocalServer {
  let started = false;
  return {
    name,
    processName: name,
    address: `${name}:1`,
    startTimeoutSec: 0.3,
    install: async () => {
      calls.push(`install ${name}`);
    },
    start: async () => {
      calls.push(`start ${name}`);
      started = true;
    },
    probe: async () => started && answersAfterStart,
    stop: async () => true,
    configure: async () => {
      calls.push(`configure ${name}`);
    },
    warmUp: async () => {
      calls.push(`warm up ${name}`);
    },
  };
}

describe('infra up', () => {
  it('installs and starts servers that do not answer, and reports which it started', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const started = await up((l) => lines.push(l), [server('a', true, calls), server('b', true, calls)], lockFile());
    expect(started.sort()).toEqual(['a', 'b']);
    expect(calls).toEqual([
      'install a',
      'install b',
      'start a',
      'start b',
      'configure a',
      'configure b',
      'warm up a',
      'warm up b',
    ]);
    expect(lines.some((l) => l.includes('a') && l.includes('up at a:1'))).toBe(true);
  });

  it('configures every server but warms up only those it started', async () => {
    const calls: string[] = [];
    const running = server('running', true, calls);
    await running.start();
    calls.length = 0;
    const started = await up(() => {}, [running, server('cold', true, calls)], lockFile());
    expect(started).toEqual(['cold']);
    expect(calls).toEqual(['install cold', 'start cold', 'configure running', 'configure cold', 'warm up cold']);
  });

  it('names the server that never answers and points at its log', async () => {
    const attempt = up(() => {}, [server('stubborn', false, [])], lockFile());
    await expect(attempt).rejects.toBeInstanceOf(ServerStartError);
    await expect(attempt).rejects.toThrow(/stubborn did not answer within 0.3s; its log is .*stubborn\.log/);
  });
});
