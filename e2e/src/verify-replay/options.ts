import { parseArgs } from 'node:util';
import { type SimulatorConfigInput, validateConfig } from '@pipeline/loadtest';

import type { Speed } from '../run/replay-traffic.js';

export type { Speed };

export interface VerifyReplayOptions {
  days: number;
  customers: number;
  terminals: number;
  speed: Speed;
  /** With `slow`: most messages published beyond what the feature service has consumed. */
  lagCap: number;
  seed: number;
  fraudRate: number;
  /** Worst examples printed and written. */
  examples: number;
  out: string;
  keep: boolean;
  /** Service logs on the terminal (they always go to the run's log file). */
  verbose: boolean;
  help: boolean;
}

/**
 * About what is in flight in live traffic at a few hundred events per second, while the publisher
 * still sends batches of 50 or more. Terminal features depend on it (how far apart in event time
 * the partitions can be): e2e/README.md has the shares measured at 200 and 2,000.
 */
export const DEFAULT_LAG_CAP = 200;

export const VERIFY_REPLAY_USAGE = `usage: npm run verify:replay [-- options]

Replays a seeded simulator history (transactions and their labels, in event-time order) through the
pipeline's services, waits until the sink has stored every accepted transaction's feature vector in
ClickHouse, recomputes every vector with the brute-force reference (referenceStream over the same
events in the published order) and compares them value by value. Prints the share of exact vectors,
overall and per feature group, and the worst differences; writes reports/verify-replay-<date>-<speed>.md;
ends with one JSON line. Uses the servers the four server variables name, else starts local ones.

  --days <n>            simulated days of transactions               (default 14)
  --customers <n>       simulated customers                          (default 2000)
  --terminals <n>       simulated terminals                          (default 1000)
  --speed fast|slow     fast: publish in order as fast as the broker takes it, one batch at a time;
                        slow: never more than --lag-cap messages beyond what the feature service
                        has consumed                                 (default fast)
  --lag-cap <n>         messages, with --speed slow                   (default ${DEFAULT_LAG_CAP})
  --seed <n>            simulator seed: same seed, same history       (default 7)
  --fraud-rate <x>      share of fraudulent transactions, 0 to 0.5    (default 0.02)
  --examples <n>        worst differences listed                      (default 10)
  --out <dir>           where the report goes                         (default reports)
  --keep                leave the run's topics, tables and Redis keys (and servers it started) up
  --verbose             service logs on the terminal (always in .local/logs/<run>.log)
  -h, --help            this text`;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** Parses the flags; a bad one throws an Error naming it. */
export function parseVerifyReplayOptions(argv: string[]): VerifyReplayOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      days: { type: 'string', default: '14' },
      customers: { type: 'string', default: '2000' },
      terminals: { type: 'string', default: '1000' },
      speed: { type: 'string', default: 'fast' },
      'lag-cap': { type: 'string' },
      seed: { type: 'string', default: '7' },
      'fraud-rate': { type: 'string', default: '0.02' },
      examples: { type: 'string', default: '10' },
      out: { type: 'string', default: 'reports' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const speed = values.speed;
  if (speed !== 'fast' && speed !== 'slow') throw new Error(`--speed must be fast or slow, got "${speed}"`);
  if (values['lag-cap'] !== undefined && speed !== 'slow') {
    throw new Error('--lag-cap applies only with --speed slow');
  }
  const fraudRate = Number(values['fraud-rate']);
  if (!(fraudRate >= 0 && fraudRate <= 0.5)) {
    throw new Error(`--fraud-rate must be a number from 0 to 0.5, got "${values['fraud-rate']}"`);
  }
  const options: VerifyReplayOptions = {
    days: wholeNumber('days', values.days, 1, 365),
    customers: wholeNumber('customers', values.customers, 1, 10_000_000),
    terminals: wholeNumber('terminals', values.terminals, 1, 10_000_000),
    speed,
    lagCap: wholeNumber('lag-cap', values['lag-cap'] ?? String(DEFAULT_LAG_CAP), 10, 10_000_000),
    seed: wholeNumber('seed', values.seed, 0, 0xffffffff),
    fraudRate,
    examples: wholeNumber('examples', values.examples, 0, 1_000),
    out: values.out,
    keep: values.keep,
    verbose: values.verbose,
    help: values.help,
  };
  // The simulator's own checks (e.g. a population it cannot place), before anything starts.
  validateConfig(simulatorConfig(options));
  return options;
}

/**
 * The simulated history: what is published and, generated again from the same seed, what the
 * reference reads (the simulator yields the same events for the same settings).
 */
export function simulatorConfig(options: VerifyReplayOptions): SimulatorConfigInput {
  return {
    seed: options.seed,
    days: options.days,
    customers: options.customers,
    terminals: options.terminals,
    fraudRate: options.fraudRate,
  };
}
