import { parseArgs } from 'node:util';
import { fraudTopics } from '@pipeline/topology';
import { SOURCES, type Source } from './sources.js';

export interface BacktestOptions {
  /** The compared range of event time, [from, to), epoch ms. */
  fromMs: number;
  toMs: number;
  /** The candidate's rule file; null: the committed one (services/decision/rules/fraud.yaml). */
  rules: string | null;
  /** The candidate's model, `name@version`; null: the one production's decisions in the range name. */
  model: string | null;
  /** Production's ClickHouse database (what the sink wrote live). */
  database: string;
  /** Where the replayed history comes from (sources.ts). */
  source: Source;
  /** Production's transactions and labels topics, read while they retain the range. */
  transactionsTopic: string;
  labelsTopic: string;
  /** The Markdown report; the chart and the figures go beside it (.png, .json). */
  out: string | null;
  keep: boolean;
  verbose: boolean;
  help: boolean;
}

export const BACKTEST_USAGE = `usage: npm run backtest -- --from <time> --to <time> [--rules <file>] [--model <name@version>] [options]

Replays the stored history (transactions and labels: from production's Kafka topics while they
retain it, from its ClickHouse tables before that) from a warm-up of the feature set's reach before
--from up to --to through the feature service, the scorer and the decision engine, started as
processes in a namespace of their own, with the candidate's rules and model; then compares the
candidate's decisions with production's on every transaction of [--from, --to), and the replayed
feature vectors with the vectors production logged. Writes a Markdown report with a chart; ends
with one JSON line. Exit 0: done and every vector whose inputs were all replayed is identical; 1: a
vector differs, or the run could not finish; 2: bad input.

  --from <time>         start of the compared range: ISO 8601 (2026-01-01, 2026-01-01T12:00:00Z;
                        UTC unless an offset is given) or epoch milliseconds
  --to <time>           its end (exclusive), same forms, after --from
  --rules <file>        the candidate's rule file           (default services/decision/rules/fraud.yaml)
  --model <name@ver>    the candidate's model in models/     (default production's, from its decisions)
  --database <name>     production's ClickHouse database     (default $CLICKHOUSE_DATABASE, else default)
  --source <where>      auto: Kafka while retained, ClickHouse before; kafka, clickhouse: one alone
                                                             (default auto)
  --transactions-topic <name>
                        production's transactions topic      (default ${fraudTopics.transactions.name})
  --labels-topic <name> production's labels topic            (default ${fraudTopics.labels.name})
  --out <file.md>       the report                           (default reports/backtest-<date>.md)
  --keep                leave the run's topics, tables and Redis keys
  --verbose             service logs on the terminal (always in .local/logs/<run>.log)
  -h, --help            this text`;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A time as the flags take it: ISO 8601 (UTC unless it has an offset) or epoch ms; throws naming the flag. */
export function parseTime(flag: string, text: string): number {
  const bad = () =>
    new Error(
      `--${flag} "${text}" is not a time: give ISO 8601 (2026-01-01 or 2026-01-01T12:00:00Z) or epoch milliseconds`,
    );
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const m = ISO.exec(text);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0')}${zone}`);
  // Date.parse rolls 2026-02-30 over into March: a day that does not exist is refused.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (Number.isNaN(ms) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) throw bad();
  return ms;
}

/** Parses the flags; a bad one throws an Error naming it. */
export function parseBacktestOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): BacktestOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      rules: { type: 'string' },
      model: { type: 'string' },
      database: { type: 'string' },
      source: { type: 'string' },
      'transactions-topic': { type: 'string' },
      'labels-topic': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const source = values.source ?? 'auto';
  if (!(SOURCES as readonly string[]).includes(source)) {
    throw new Error(`--source "${source}" is not one of ${SOURCES.join(', ')}`);
  }
  const topic = (flag: string, value: string) => {
    // Kafka's own rule for topic names.
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
      throw new Error(`--${flag} "${value}" is not a Kafka topic name (letters, digits, '.', '_', '-')`);
    }
    return value;
  };
  const base = {
    keep: values.keep,
    verbose: values.verbose,
    help: values.help,
    source: source as Source,
    transactionsTopic: topic('transactions-topic', values['transactions-topic'] ?? fraudTopics.transactions.name),
    labelsTopic: topic('labels-topic', values['labels-topic'] ?? fraudTopics.labels.name),
  };
  if (values.help) {
    return { ...base, fromMs: 0, toMs: 0, rules: null, model: null, database: 'default', out: null };
  }
  if (values.from === undefined) throw new Error('--from is required');
  if (values.to === undefined) throw new Error('--to is required');
  const fromMs = parseTime('from', values.from);
  const toMs = parseTime('to', values.to);
  if (fromMs >= toMs) {
    throw new Error(`--from (${new Date(fromMs).toISOString()}) must be before --to (${new Date(toMs).toISOString()})`);
  }
  if (values.model !== undefined && !/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/.test(values.model)) {
    throw new Error(`--model "${values.model}" is not a model reference like fraud_gbdt@2`);
  }
  const database = values.database ?? env.CLICKHOUSE_DATABASE ?? 'default';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new Error(`--database "${database}" is not a ClickHouse database name (letters, digits, _)`);
  }
  return {
    ...base,
    fromMs,
    toMs,
    rules: values.rules ?? null,
    model: values.model ?? null,
    database,
    out: values.out ?? null,
  };
}
