import { ConfigError, errorMessage } from '../errors.js';

/** Exit code for bad configuration (sysexits' EX_CONFIG), so supervisors can tell it from a crash. */
export const EXIT_CONFIG = 78;

/**
 * Runs a service's or script's main function. Bad configuration prints one message naming the
 * variables and exits 78; any other start-up failure prints its message and exits 1.
 */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(EXIT_CONFIG);
    }
    console.error(`${name} failed: ${errorMessage(error)}`);
    if (error instanceof Error && error.stack && process.env.LOG_LEVEL === 'debug') console.error(error.stack);
    process.exit(1);
  }
}
