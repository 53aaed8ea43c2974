import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { createShutdown } from './shutdown.js';

const logger = createLogger('test', 'silent');

describe('shutdown', () => {
  it('runs hooks in reverse order once, then exits with the code', async () => {
    const calls: string[] = [];
    const exits: number[] = [];
    const s = createShutdown({ logger, exit: (code) => exits.push(code), signals: [] });
    s.onShutdown('clients', () => {
      calls.push('clients');
    });
    s.onShutdown('consumer', async () => {
      calls.push('consumer');
    });
    await Promise.all([s.shutdown('test', 3), s.shutdown('again')]);
    expect(calls).toEqual(['consumer', 'clients']);
    expect(exits).toEqual([3]);
  });

  it('goes on after a failing or hanging hook and exits non-zero', async () => {
    const calls: string[] = [];
    const exits: number[] = [];
    const s = createShutdown({ logger, exit: (code) => exits.push(code), signals: [], timeoutMs: 50 });
    s.onShutdown('last', () => {
      calls.push('last');
    });
    s.onShutdown('hangs', () => new Promise(() => {}));
    s.onShutdown('throws', () => {
      throw new Error('boom');
    });
    await s.shutdown('test');
    expect(calls).toEqual(['last']);
    expect(exits).toEqual([1]);
  });

  it('shuts down on a signal', async () => {
    const exits: number[] = [];
    const s = createShutdown({ logger, exit: (code) => exits.push(code), signals: ['SIGUSR2'] });
    let ran = false;
    s.onShutdown('hook', () => {
      ran = true;
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await s.shutdown('wait for the same run');
    expect(ran).toBe(true);
    expect(exits).toEqual([0]);
  });
});
