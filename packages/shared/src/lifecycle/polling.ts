import type { Logger } from '../logging/logger.js';

/** A job run once at start and then `intervalMs` after each run ends; a failed run is logged and retried at the next poll. */
export interface Polling {
  start(): void;
  /** Stops polling and waits for a run in flight. */
  stop(): Promise<void>;
  /** True from `stop()` on: a run checks it between steps to end early. */
  readonly stopped: boolean;
  /** False while the last run failed (a server down). */
  readonly healthy: boolean;
}

export interface PollingOptions {
  run: () => Promise<unknown>;
  intervalMs: number;
  logger: Pick<Logger, 'error'>;
  /** The log message of a failed run. */
  failure: string;
}

export function createPolling({ run, intervalMs, logger, failure }: PollingOptions): Polling {
  let healthy = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  function runOnce(): void {
    running = run()
      .then(() => {
        healthy = true;
      })
      .catch((error: unknown) => {
        healthy = false;
        logger.error({ err: error }, failure);
      })
      .finally(schedule);
  }

  function schedule(): void {
    if (!stopped) timer = setTimeout(runOnce, intervalMs);
  }

  return {
    start() {
      stopped = false;
      runOnce();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    get stopped() {
      return stopped;
    },
    get healthy() {
      return healthy;
    },
  };
}
