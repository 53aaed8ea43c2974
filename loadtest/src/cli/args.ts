import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration } from '@pipeline/shared';
import { FRAUD_SCENARIOS, type FraudScenario } from '../simulator/events.js';

/** What a parse gives: the configuration, a request for help, or one line naming the bad flag. */
export type ParseResult<T> = { kind: 'ok'; config: T } | { kind: 'help' } | { kind: 'error'; message: string };

/** Exit code for bad flags (the shell convention for misuse), distinct from runMain's 1 and 78. */
export const EXIT_USAGE = 2;

/** Simulator settings taken from flags; absent ones keep the simulator's defaults. */
export interface SimulatorFlags {
  seed?: number;
  customers?: number;
  terminals?: number;
  days?: number;
  fraudRate?: number;
  /** The fraud scenarios to enable; absent: all. */
  scenarios?: FraudScenario[];
}

export interface LoadConfig {
  output: 'kafka' | 'csv';
  /** Events per second; 0 = as fast as possible. */
  rate: number;
  durationMs?: number;
  count?: number;
  /** With output csv. */
  file?: string;
  simulator: SimulatorFlags;
}

export interface ProbeConfig {
  topic: string;
  fromBeginning: boolean;
  durationMs?: number;
  count?: number;
  intervalMs: number;
}

export const DEFAULT_RATE = 1_000;

export const LOAD_USAGE = `usage: npm run load -- [flags]

Publishes simulated transactions and labels to Kafka (Avro, keyed by customer_id, acks from all
in-sync replicas) at a target rate, or writes them as a CSV dataset. Without --duration or
--count it runs until the simulated period is exhausted or Ctrl-C.

  --rate <n|max>         events per second (default ${DEFAULT_RATE}); max or 0: as fast as the broker acks
  --duration <d>         stop after this long: 30s, 2m, 1h
  --count <n>            stop after n events (with --duration: whichever comes first)
  --seed <n>             simulator seed (same seed, same events)
  --customers <n>        simulated customers
  --terminals <n>        simulated terminals
  --days <n>             simulated days
  --fraud-rate <0..1>    share of fraudulent transactions, in [0, 1)
  --scenarios <list>     fraud scenarios to enable, comma-separated: ${FRAUD_SCENARIOS.join(', ')}
  --output <kafka|csv>   where events go (default kafka)
  --file <path>          with --output csv: the file to write
  --help                 this text

Servers: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL, CLICKHOUSE_URL (all four, or none for the
local servers of npm run infra:up). Progress goes to stderr once a second; a summary table and, as
the last line of stdout, one JSON object with the figures.`;

export const PROBE_USAGE = `usage: npm run probe -- --topic <name> [flags]

Consumes a topic with a group of its own and reports, for each message, arrival time minus the
publish-time-ms header the load generator stamps (messages without it are counted apart), and the
backlog (high watermark minus the probe's position, summed over partitions).

  --topic <name>         topic to read (required), e.g. decisions
  --duration <d>         stop after this long: 30s, 2m, 1h (default: until Ctrl-C)
  --count <n>            stop after n messages
  --from-beginning       also read what the topic already holds (default: only new messages)
  --interval <d>         how often to print a progress line to stderr (default 1s)
  --help                 this text

Servers: as for npm run load. A summary table goes to stdout, then as the last line one JSON object.`;

const loadOptions = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  seed: { type: 'string' },
  customers: { type: 'string' },
  terminals: { type: 'string' },
  days: { type: 'string' },
  'fraud-rate': { type: 'string' },
  scenarios: { type: 'string' },
  output: { type: 'string' },
  file: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const probeOptions = {
  topic: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  'from-beginning': { type: 'boolean' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Thrown by the value parsers below; caught in this module only. */
class FlagError extends Error {}

function fail(flag: string, problem: string, given?: string): never {
  throw new FlagError(`--${flag} ${problem}${given === undefined ? '' : ` (got '${given}')`}`);
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) fail(flag, 'must be a positive integer', value);
  return n;
}

function nonNegativeInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) fail(flag, 'must be a non-negative integer', value);
  return n;
}

function decimal(flag: string, value: string, problem: string, ok: (n: number) => boolean): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || !ok(n)) fail(flag, problem, value);
  return n;
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) fail(flag, 'must be a positive duration like 30s, 2m or 1h', value);
  return ms;
}

function rate(value: string): number {
  if (value === 'max') return 0;
  return decimal('rate', value, "must be a number of events/s >= 0, or 'max'", (n) => n >= 0);
}

function scenarios(value: string): FraudScenario[] {
  const names = value.split(',').map((s) => s.trim());
  const known = new Set<string>(FRAUD_SCENARIOS);
  for (const name of names) {
    if (name === '') fail('scenarios', 'has an empty name', value);
    if (!known.has(name)) fail('scenarios', `names unknown scenario '${name}'; known: ${FRAUD_SCENARIOS.join(', ')}`);
  }
  return [...new Set(names)] as FraudScenario[];
}

/**
 * node:util parseArgs in strict mode, with its errors turned into one line naming the flag. A
 * negative number after a flag (`--rate -5`) reads to parseArgs as a missing value; it is retried as
 * `--rate=-5` so the flag's own check reports it.
 */
function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O) {
  let args = [...argv];
  for (;;) {
    try {
      return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      // parseArgs quotes the option as '--rate', '--rate <value>' or '-h, --help'.
      const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
      const flag = /--[\w-]+/.exec(quoted)?.[0] ?? /-\w/.exec(quoted)?.[0] ?? quoted;
      if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
        const at = args.indexOf(flag);
        const next = at >= 0 ? args[at + 1] : undefined;
        if (next !== undefined && /^-\d/.test(next)) {
          args = [...args.slice(0, at), `${flag}=${next}`, ...args.slice(at + 2)];
          continue;
        }
        if (/does not take an argument/.test(message)) throw new FlagError(`${flag} takes no value`);
        throw new FlagError(`${flag} needs a value`);
      }
      if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new FlagError(`unknown flag ${flag}`);
      if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
        const given = /'([^']*)'/.exec(message)?.[1] ?? '';
        throw new FlagError(`unexpected argument '${given}': every value follows a --flag`);
      }
      throw new FlagError(message.split('\n')[0] ?? message);
    }
  }
}

function guard<T>(parse: () => T | 'help'): ParseResult<T> {
  try {
    const config = parse();
    return config === 'help' ? { kind: 'help' } : { kind: 'ok', config };
  } catch (error) {
    if (error instanceof FlagError) return { kind: 'error', message: error.message };
    throw error;
  }
}

/** Flags of `npm run load`; pure: no I/O, no process exit. */
export function parseLoadArgs(argv: readonly string[]): ParseResult<LoadConfig> {
  return guard(() => {
    const flags = parseFlags(argv, loadOptions);
    if (flags.help) return 'help';
    const output = flags.output ?? 'kafka';
    if (output !== 'kafka' && output !== 'csv') fail('output', 'must be kafka or csv', output);
    if (output === 'csv') {
      if (flags.file === undefined) fail('file', 'is required with --output csv');
      if (flags.rate !== undefined) fail('rate', 'applies only to --output kafka');
      if (flags.duration !== undefined) fail('duration', 'applies only to --output kafka');
    } else if (flags.file !== undefined) {
      fail('file', 'applies only to --output csv');
    }
    const simulator: SimulatorFlags = {};
    if (flags.seed !== undefined) simulator.seed = nonNegativeInteger('seed', flags.seed);
    if (flags.customers !== undefined) simulator.customers = positiveInteger('customers', flags.customers);
    if (flags.terminals !== undefined) simulator.terminals = positiveInteger('terminals', flags.terminals);
    if (flags.days !== undefined) simulator.days = positiveInteger('days', flags.days);
    if (flags['fraud-rate'] !== undefined) {
      simulator.fraudRate = decimal('fraud-rate', flags['fraud-rate'], 'must be in [0, 1)', (n) => n < 1);
    }
    if (flags.scenarios !== undefined) simulator.scenarios = scenarios(flags.scenarios);
    const config: LoadConfig = {
      output,
      rate: flags.rate === undefined ? DEFAULT_RATE : rate(flags.rate),
      simulator,
    };
    if (flags.duration !== undefined) config.durationMs = duration('duration', flags.duration);
    if (flags.count !== undefined) config.count = positiveInteger('count', flags.count);
    if (flags.file !== undefined) config.file = flags.file;
    return config;
  });
}

/** Flags of `npm run probe`; pure: no I/O, no process exit. */
export function parseProbeArgs(argv: readonly string[]): ParseResult<ProbeConfig> {
  return guard(() => {
    const flags = parseFlags(argv, probeOptions);
    if (flags.help) return 'help';
    if (flags.topic === undefined) fail('topic', 'is required');
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(flags.topic)) fail('topic', 'is not a valid topic name', flags.topic);
    const config: ProbeConfig = {
      topic: flags.topic,
      fromBeginning: flags['from-beginning'] ?? false,
      intervalMs: flags.interval === undefined ? 1_000 : duration('interval', flags.interval),
    };
    if (flags.duration !== undefined) config.durationMs = duration('duration', flags.duration);
    if (flags.count !== undefined) config.count = positiveInteger('count', flags.count);
    return config;
  });
}
