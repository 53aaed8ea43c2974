import { parseArgs } from 'node:util';
import { parseDuration } from '@pipeline/shared';

/** The faults `npm run chaos` knows, in the order it runs them. */
export const FAULTS = [
  'kill-features',
  'kill-scorer',
  'kill-decision',
  'kill-sink',
  'scale-out',
  'bad-input',
  'redis-restart',
  'registry-restart',
  'clickhouse-outage',
  'kafka-restart',
] as const;
export type Fault = (typeof FAULTS)[number];

/** Faults that stop a server: only run on servers this script started itself. */
export const SERVER_FAULTS: readonly Fault[] = [
  'redis-restart',
  'registry-restart',
  'clickhouse-outage',
  'kafka-restart',
];

export interface ChaosOptions {
  rate: number;
  /** Traffic per fault: the fault lands a third of the way in. */
  windowMs: number;
  /** How long a killed service stays down, a server stays stopped (ClickHouse: its outage). */
  downMs: number;
  faults: Fault[];
  /** Malformed messages mixed into the bad-input window. */
  bad: number;
  seed: number;
  help: boolean;
}

export const CHAOS_USAGE = `usage: npm run chaos [-- options]

Runs the whole pipeline (services as processes, like the demo) under steady simulated traffic and
injects one fault per window: each service SIGKILLed and restarted, a second instance of every
service added then one killed (rebalances), malformed messages mixed into the traffic, and, on
servers it started itself, Redis, the Schema Registry and the Kafka broker restarted and ClickHouse
stopped for a while. For each fault: transactions published, decided exactly once, lost, decided
twice (and whether the two decisions differ), dead-lettered by reason, time to recover. Writes
reports/chaos-<date>.md and ends with one JSON line.

  --rate <events/s>     traffic rate, transactions and labels together          (default 300)
  --window <time>       traffic per fault, e.g. 40s                              (default 40s)
  --down <time>         how long a killed service or stopped server stays down   (default 3s)
  --faults <list>       comma-separated, from: ${FAULTS.join(', ')}
                        (default: all; server faults need servers this script started)
  --bad <n>             malformed messages in the bad-input window               (default 10000)
  --seed <n>            simulator seed                                           (default 11)
  -h, --help            this text`;

/** Parses the flags; a bad one throws an Error naming it. */
export function parseChaosOptions(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string', default: '300' },
      window: { type: 'string', default: '40s' },
      down: { type: 'string', default: '3s' },
      faults: { type: 'string', default: FAULTS.join(',') },
      bad: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '11' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate < 10 || rate > 20_000) {
    throw new Error(`--rate must be events per second from 10 to 20000, got "${values.rate}"`);
  }
  const windowMs = parseDuration(values.window);
  if (windowMs === undefined || windowMs < 10_000) {
    throw new Error(`--window must be a duration of at least 10s like 40s, got "${values.window}"`);
  }
  const downMs = parseDuration(values.down);
  if (downMs === undefined || downMs > windowMs / 2) {
    throw new Error(`--down must be a duration of at most half the window, got "${values.down}"`);
  }
  const faults = values.faults.split(',').map((f) => f.trim());
  const unknown = faults.filter((f) => !(FAULTS as readonly string[]).includes(f));
  if (faults.length === 0 || unknown.length > 0) {
    throw new Error(`--faults: unknown fault(s) ${unknown.join(', ') || '(none given)'}; known: ${FAULTS.join(', ')}`);
  }
  const bad = Number(values.bad);
  if (!Number.isInteger(bad) || bad < 0 || bad > 1_000_000) {
    throw new Error(`--bad must be a whole number from 0 to 1000000, got "${values.bad}"`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`--seed must be an integer from 0 to 4294967295, got "${values.seed}"`);
  }
  return { rate, windowMs, downMs, faults: faults as Fault[], bad, seed, help: values.help };
}
