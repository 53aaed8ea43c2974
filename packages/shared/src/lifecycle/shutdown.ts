import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export interface Shutdown {
  /** Hooks run in reverse order of registration: stop consuming before closing what it writes to. */
  onShutdown(name: string, hook: () => Promise<void> | void): void;
  /** Runs every hook (each bounded by the timeout), then exits with `code`. Safe to call twice. */
  shutdown(reason: string, code?: number): Promise<void>;
}

export interface ShutdownOptions {
  logger: Logger;
  timeoutMs?: number;
  /** Injected in tests; process.exit otherwise. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/** Graceful shutdown on SIGTERM and SIGINT; a second signal exits at once. */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const { logger, timeoutMs = 15_000, exit = (code) => process.exit(code) } = options;
  const hooks: { name: string; hook: () => Promise<void> | void }[] = [];
  let running: Promise<void> | undefined;

  async function runHooks(reason: string, code: number): Promise<void> {
    logger.info({ reason }, 'shutting down');
    let exitCode = code;
    for (const { name, hook } of [...hooks].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(hook),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        logger.error({ hook: name, err: errorMessage(error) }, 'shutdown step failed');
        exitCode = exitCode || 1;
      } finally {
        clearTimeout(timer);
      }
    }
    logger.info({ code: exitCode }, 'stopped');
    exit(exitCode);
  }

  const shutdown = (reason: string, code = 0) => {
    running ??= runHooks(reason, code);
    return running;
  };

  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) {
    process.on(signal, () => {
      if (running) {
        logger.warn({ signal }, 'second signal: exiting now');
        exit(130);
        return;
      }
      void shutdown(signal);
    });
  }

  return {
    onShutdown(name, hook) {
      hooks.push({ name, hook });
    },
    shutdown,
  };
}
