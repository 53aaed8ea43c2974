import { parseArgs } from 'node:util';
import { parseDuration } from '@pipeline/shared';

export interface BenchOptions {
  rates: number[];
  stepMs: number;
  /** Left out of each step's latency and usage figures: the pipeline settles to the new rate. */
  settleMs: number;
  search: boolean;
  identity: boolean;
  fraud: boolean;
  /** The recommendations pipeline at fixed request rates (no search). */
  recsys: boolean;
  recsysRates: number[];
  /** The quick run: 500, 1,000 and 2,000 events/s, short steps, no search, no report written. */
  quick: boolean;
  warmUpMs: number;
  /** Services with OpenTelemetry tracing on (off by default: the bench measures the pipeline). */
  tracing: boolean;
  /** Where each service process writes its CPU and heap-sampling profiles when it exits; none if null. */
  profileDir: string | null;
  seed: number;
  out: string;
  help: boolean;
}

export const BENCH_USAGE = `usage: npm run bench [-- options]

End-to-end benchmark on this machine: the fraud pipeline (features, scorer, decision, sink as
processes) and an identity pipeline (three relays through the same topics) at fixed rates, then the
highest rate each sustains, found by search; then the recommendations pipeline at fixed request
rates. Writes reports/bench-<date>.md and a PNG chart, prints
the table, and ends with one JSON line.

  --quick               500, 1,000 and 2,000 events/s in 15 s steps, no search, nothing written
                        (about 3 minutes; run it before every stop that touches a service)
  --rates <list>        fixed rates, events/s             (default 500,1000,2000,5000,10000)
  --step <time>         length of each step               (default 30s)
  --settle <time>       start of a step left out of its figures (default 5s)
  --no-search           skip the sustainable-rate search
  --no-identity         skip the identity pipeline
  --no-fraud            skip the fraud pipeline
  --recsys-rates <list> recommendation requests/s (50 candidates each), after a warm-up of
                        interactions; fixed rates, no search           (default 100,1000)
  --no-recsys           skip the recommendations pipeline
  --profile <dir>       each service process writes a CPU profile (.cpuprofile) and a sampled
                        allocation profile (.heapprofile) there when it stops (open either in
                        Chrome DevTools or speedscope)
  --tracing             services with OpenTelemetry tracing on (default off) to measure its cost
  --seed <n>            simulator seed                    (default 7)
  --out <dir>           where the report goes             (default reports)
  -h, --help            this text`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      tracing: { type: 'boolean', default: false },
      profile: { type: 'string' },
      rates: { type: 'string' },
      step: { type: 'string' },
      settle: { type: 'string' },
      'no-search': { type: 'boolean', default: false },
      'no-identity': { type: 'boolean', default: false },
      'no-fraud': { type: 'boolean', default: false },
      'recsys-rates': { type: 'string', default: '100,1000' },
      'no-recsys': { type: 'boolean', default: false },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: 'reports' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick;
  const ratesText = values.rates ?? (quick ? '500,1000,2000' : '500,1000,2000,5000,10000');
  const stepText = values.step ?? (quick ? '15s' : '30s');
  const settleText = values.settle ?? (quick ? '3s' : '5s');
  const rates = ratesText.split(',').map((r) => Number(r.trim()));
  if (rates.length === 0 || rates.some((r) => !Number.isInteger(r) || r < 1 || r > 200_000)) {
    throw new Error(`--rates must be a comma-separated list of whole rates from 1 to 200000, got "${ratesText}"`);
  }
  const recsysRates = values['recsys-rates'].split(',').map((r) => Number(r.trim()));
  if (recsysRates.some((r) => !Number.isInteger(r) || r < 1 || r > 200_000)) {
    throw new Error(
      `--recsys-rates must be a comma-separated list of whole rates from 1 to 200000, got "${values['recsys-rates']}"`,
    );
  }
  const stepMs = parseDuration(stepText);
  if (stepMs === undefined || stepMs < 5_000)
    throw new Error(`--step must be a duration of at least 5s, got "${stepText}"`);
  const settleMs = parseDuration(settleText);
  if (settleMs === undefined || settleMs >= stepMs / 2) {
    throw new Error(`--settle must be a duration shorter than half a step, got "${settleText}"`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, got "${values.seed}"`);
  return {
    rates: [...new Set(rates)].sort((a, b) => a - b),
    stepMs,
    settleMs,
    search: !values['no-search'] && !quick,
    identity: !values['no-identity'],
    fraud: !values['no-fraud'],
    recsys: !values['no-recsys'],
    recsysRates: [...new Set(recsysRates)].sort((a, b) => a - b),
    quick,
    tracing: values.tracing,
    profileDir: values.profile ?? null,
    warmUpMs: quick ? 5_000 : 10_000,
    seed,
    out: values.out,
    help: values.help,
  };
}
