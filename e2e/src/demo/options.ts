import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '@pipeline/shared';
import { RUN_USE_CASES, type RunUseCase } from '../run/namespace.js';

export interface DemoOptions {
  /** The use cases the run carries, each with its traffic, through one set of service processes. */
  useCases: RunUseCase[];
  /** Events per second of each use case's traffic. */
  rate: number;
  durationMs: number;
  seed: number;
  keep: boolean;
  /** Service logs on the terminal (they always go to the run's log file). */
  quiet: boolean;
  /** Where to write one screenshot of each console page, taken from the run's data; null: none. */
  screenshots: string | null;
  help: boolean;
}

export const DEMO_USAGE = `usage: npm run demo [-- options]

Starts Kafka, the Schema Registry, Redis and ClickHouse (installed into .local/ on first use), creates
the run's topics, registers the schemas, makes sure a champion model exists, starts every service as
its own process, streams simulated card transactions and their fraud labels, and prints what came out:
decisions and their mix, end-to-end latency, fraud caught and missed, money saved and lost, the
monitor's drift checks, and where to look next. Stops everything it started on exit or Ctrl-C.
With recsys, the same services also rank recommendation requests of the recommendation simulator
(interactions, requests and labels), and the report adds requests ranked, latency from request to
ranked list, the share ranked on rules alone, and CTR, NDCG@10 and recall@10 beside a popularity
baseline on the same requests.

  --use-case <list>     fraud, recsys or fraud,recsys                    (default fraud)
  --rate <events/s>     traffic rate of each use case (fraud: transactions and labels together;
                        recsys: interactions, requests and labels)       (default 200)
  --duration <time>     how long to stream traffic, e.g. 45s or 2m      (default 45s)
  --seed <n>            simulator seed: same seed, same traffic          (default 7)
  --keep                leave the servers, topics, tables and Redis keys up for exploring
  --quiet               no service logs on the terminal
  --screenshots <dir>   one PNG of each console page into <dir>, from this run's data
                        (Chromium, installed with apt-get when missing; e.g. docs/console)
  -h, --help            this text`;

/** Parses the demo's flags; a bad one throws an Error naming it. */
export function parseDemoOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'use-case': { type: 'string', default: 'fraud' },
      rate: { type: 'string', default: '200' },
      duration: { type: 'string', default: '45s' },
      seed: { type: 'string', default: '7' },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      screenshots: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const useCases = [...new Set(values['use-case'].split(',').map((u) => u.trim()))];
  if (useCases.length === 0 || useCases.some((u) => !(RUN_USE_CASES as readonly string[]).includes(u))) {
    throw new Error(`--use-case must be fraud, recsys or fraud,recsys, got "${values['use-case']}"`);
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100_000) {
    throw new Error(`--rate must be a number of events per second from 1 to 100000, got "${values.rate}"`);
  }
  const durationMs = parseDuration(values.duration);
  if (durationMs === undefined || durationMs < 1_000) {
    throw new Error(`--duration must be a duration of at least 1s like 45s or 2m, got "${values.duration}"`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`--seed must be an integer from 0 to 4294967295, got "${values.seed}"`);
  }
  if (values.screenshots !== undefined && values.screenshots.trim() === '') {
    throw new Error('--screenshots must name a folder, got ""');
  }
  const screenshots = values.screenshots === undefined ? null : resolve(values.screenshots);
  return {
    useCases: useCases as RunUseCase[],
    rate,
    durationMs,
    seed,
    keep: values.keep,
    quiet: values.quiet,
    screenshots,
    help: values.help,
  };
}
