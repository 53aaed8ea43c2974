import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPolling } from './polling.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createPolling', () => {
  it('runs at start, then an interval after each run ends', async () => {
    vi.useFakeTimers();
    const run = vi.fn(async () => {});
    const polling = createPolling({ run, intervalMs: 1_000, logger: { error: vi.fn() }, failure: 'failed' });
    polling.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(2);
    await polling.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('logs a failed run, turns unhealthy, and recovers at the next successful poll', async () => {
    vi.useFakeTimers();
    const error = new Error('ClickHouse down');
    const run = vi.fn().mockRejectedValueOnce(error).mockResolvedValue(undefined);
    const logger = { error: vi.fn() };
    const polling = createPolling({ run, intervalMs: 100, logger, failure: 'run failed; retrying' });
    polling.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(polling.healthy).toBe(false);
    expect(logger.error).toHaveBeenCalledWith({ err: error }, 'run failed; retrying');
    await vi.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(2);
    expect(polling.healthy).toBe(true);
    await polling.stop();
  });

  it('stop waits for the run in flight and marks it stopped so the run can end early', async () => {
    let release: () => void = () => {};
    let sawStopped = false;
    const polling = createPolling({
      run: () =>
        new Promise<void>((resolve) => {
          release = () => {
            sawStopped = polling.stopped;
            resolve();
          };
        }),
      intervalMs: 10,
      logger: { error: vi.fn() },
      failure: 'failed',
    });
    polling.start();
    let done = false;
    const stopping = polling.stop().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await stopping;
    expect(done).toBe(true);
    expect(sawStopped).toBe(true);
  });
});
