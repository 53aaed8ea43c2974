import type { Action } from '@pipeline/topology';
import type { Comparison } from '../vectors/compare.js';
import { ACTIONS, type DecisionComparison, type SideFigures } from './compare.js';
import type { Source, SourceCounts } from './sources.js';

export interface Consistency {
  /** Events of the range whose inputs were all replayed (see inputs.ts), and their vectors' tally. */
  complete: Comparison;
  /** Every event of the range with a vector on both sides. */
  all: Comparison;
}

export interface BacktestResult {
  date: string;
  run: string;
  command: string;
  database: string;
  range: { fromMs: number; toMs: number; warmupStartMs: number; reachMs: number; historyStartMs: number };
  /** Where the replayed history came from (sources.ts). */
  sources: {
    mode: Source;
    /** Production's topics read; null with --source clickhouse. */
    topics: { transactions: string; labels: string } | null;
    transactions: SourceCounts;
    labels: SourceCounts;
    /** Event time from which each stream was taken from Kafka; null: not at all. */
    kafkaFromMs: { transactions: number | null; labels: number | null };
    /** Kafka messages left out: refused by production's feature service (dead letters), not decodable. */
    refused: number;
    undecodable: number;
  };
  candidate: { rulesFile: string; rulesVersion: string; model: string };
  production: { ruleSetVersions: string[]; models: string[] };
  replayed: {
    transactions: number;
    labels: number;
    /** Transactions rebuilt with whole-second event times (stored before migration 0010_backtest). */
    secondsOnly: number;
    deadLetters: Record<string, number>;
    seconds: number;
  };
  decisions: DecisionComparison;
  consistency: Consistency;
  chart: string | null;
  wallSeconds: number;
  /** The backtest driver's own peak memory (the history is held in it). */
  peakRssMb: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const pct = (x: number | null, digits = 2) => (x === null ? '–' : `${(x * 100).toFixed(digits)} %`);
const num = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));
const money = (minor: number) => (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });
const signed = (x: number, text = String(x)) => (x > 0 ? `+${text}` : x === 0 ? '0' : text);
const points = (a: number | null, b: number | null) =>
  a === null || b === null ? '–' : `${signed(b - a, ((b - a) * 100).toFixed(2))} pp`;

function sourceLine(s: BacktestResult['sources']): string {
  const stream = (name: string, c: SourceCounts, from: number | null, topic: string | undefined) =>
    `${name} ${c.kafka} from Kafka${topic ? ` (\`${topic}\`${from === null ? ', not used' : `, from ${iso(from)}`})` : ''} and ${c.clickhouse} from ClickHouse, ${c.both} held by both (identical, taken once)`;
  return [
    stream('transactions', s.transactions, s.kafkaFromMs.transactions, s.topics?.transactions),
    stream('labels', s.labels, s.kafkaFromMs.labels, s.topics?.labels),
    `Kafka messages left out: ${s.refused} refused live by the feature service, ${s.undecodable} not decodable`,
  ].join('; ');
}

/** The figures compared, one row each: name, production, candidate, change. */
export function figureRows(p: SideFigures, c: SideFigures): string[][] {
  const rate = (a: Action) => [
    `${a.toLowerCase()} rate`,
    pct(p.rates[a]),
    pct(c.rates[a]),
    points(p.rates[a], c.rates[a]),
  ];
  return [
    ['decided', String(p.decided), String(c.decided), signed(c.decided - p.decided)],
    ...ACTIONS.map(rate),
    ['labelled frauds', String(p.frauds), String(c.frauds), signed(c.frauds - p.frauds)],
    [
      'fraud caught (not approved)',
      `${p.fraudCaught} (${pct(p.fraudCaughtShare, 1)})`,
      `${c.fraudCaught} (${pct(c.fraudCaughtShare, 1)})`,
      signed(c.fraudCaught - p.fraudCaught),
    ],
    [
      'money at risk (labelled frauds approved)',
      money(p.moneyAtRiskMinor),
      money(c.moneyAtRiskMinor),
      signed(c.moneyAtRiskMinor - p.moneyAtRiskMinor, money(c.moneyAtRiskMinor - p.moneyAtRiskMinor)),
    ],
    [
      'money saved (labelled frauds not approved)',
      money(p.moneySavedMinor),
      money(c.moneySavedMinor),
      signed(c.moneySavedMinor - p.moneySavedMinor, money(c.moneySavedMinor - p.moneySavedMinor)),
    ],
    [
      'false positives per 1,000',
      num(p.falsePositivesPer1000),
      num(c.falsePositivesPer1000),
      p.falsePositivesPer1000 === null || c.falsePositivesPer1000 === null
        ? '–'
        : signed(
            c.falsePositivesPer1000 - p.falsePositivesPer1000,
            num(c.falsePositivesPer1000 - p.falsePositivesPer1000),
          ),
    ],
    ['decided by rules alone', String(p.rulesOnly), String(c.rulesOnly), signed(c.rulesOnly - p.rulesOnly)],
  ];
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

/** Whether the consistency check passed: every complete-input vector identical (vacuously with none). */
export function consistent(result: Pick<BacktestResult, 'consistency'>): boolean {
  const c = result.consistency.complete;
  return c.exactVectors === c.vectors && c.missing === 0;
}

/** The last line: the figures runs are compared by. */
export function headline(result: BacktestResult) {
  const d = result.decisions;
  const side = (s: SideFigures) => ({
    approve_rate: s.rates.APPROVE,
    review_rate: s.rates.REVIEW,
    step_up_rate: s.rates.STEP_UP,
    decline_rate: s.rates.DECLINE,
    fraud_caught: s.fraudCaught,
    fraud_caught_share: s.fraudCaughtShare,
    money_at_risk_minor: s.moneyAtRiskMinor,
    fp_per_1000: s.falsePositivesPer1000,
  });
  return {
    backtest: result.run,
    from: iso(result.range.fromMs),
    to: iso(result.range.toMs),
    rules: result.candidate.rulesVersion,
    model: result.candidate.model,
    events: d.events,
    compared: d.compared,
    identical_decisions: d.identical,
    same_action: d.sameAction,
    sources: {
      transactions_kafka: result.sources.transactions.kafka,
      transactions_clickhouse: result.sources.transactions.clickhouse,
      labels_kafka: result.sources.labels.kafka,
      labels_clickhouse: result.sources.labels.clickhouse,
    },
    complete_input_events: result.consistency.complete.vectors + result.consistency.complete.missing,
    identical_vectors_share: result.consistency.complete.exactShare,
    identical_vectors_share_all: result.consistency.all.exactShare,
    consistent: consistent(result),
    production: side(d.production),
    candidate: side(d.candidate),
    rule_hit_changes: Object.fromEntries(d.rules.map((r) => [r.rule, r.change])),
    replay_s: Math.round(result.replayed.seconds * 10) / 10,
    wall_s: Math.round(result.wallSeconds * 10) / 10,
    peak_rss_mb: Math.round(result.peakRssMb),
  };
}

export function renderReport(result: BacktestResult): string {
  const d = result.decisions;
  const { complete, all } = result.consistency;
  const out: string[] = [];
  out.push(`# Backtest ${iso(result.range.fromMs)} .. ${iso(result.range.toMs)}`, '');
  out.push(`\`${result.command}\` (run \`${result.run}\`, ${result.date})`, '');
  out.push(
    `- **Candidate**: rules \`${result.candidate.rulesFile}\` (version ${result.candidate.rulesVersion}), model ${result.candidate.model}`,
    `- **Production**: the decisions stored in ClickHouse database \`${result.database}\` (rule set ${result.production.ruleSetVersions.join(', ') || '–'}; model ${result.production.models.join(', ') || 'none'})`,
    `- **Replayed**: ${result.replayed.transactions} transactions and ${result.replayed.labels} labels from ${iso(result.range.warmupStartMs)} (a warm-up of the feature set's reach, ${result.range.reachMs / 86_400_000} days, before the range) through the feature service, the scorer and the decision engine as processes, in ${result.replayed.seconds.toFixed(1)} s (the whole backtest ${result.wallSeconds.toFixed(1)} s, its driver's peak memory ${Math.round(result.peakRssMb)} MB); ${result.replayed.secondsOnly} rebuilt with whole-second event times; dead letters: ${
      Object.entries(result.replayed.deadLetters)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none'
    }`,
    `- **Sources** (\`--source ${result.sources.mode}\`): ${sourceLine(result.sources)}`,
    `- **Events in the range**: ${d.events}; decided on both sides: ${d.compared} (no production decision: ${d.missingProduction}, no candidate decision: ${d.missingCandidate}${d.missingExamples.length > 0 ? `, e.g. ${d.missingExamples.join(', ')}` : ''})`,
    '',
  );
  if (result.chart) out.push(`![candidate against production](${result.chart})`, '');
  out.push('## Candidate against production', '');
  out.push(
    table(['figure', 'production', 'candidate', 'change'], figureRows(d.production, d.candidate), ['l', 'r', 'r', 'r']),
    '',
  );
  out.push(
    "Fraud caught and money are judged by each transaction's newest label in `labels`; a false positive is a transaction not approved that is not labelled fraud (labelled genuine, or not labelled yet), per 1,000 decided.",
    '',
  );
  out.push('## Decisions, event by event', '');
  out.push(
    `${d.identical} of ${d.compared} identical (action, reasons in order, score, path); ${d.sameAction} with the same action.`,
    '',
  );
  if (d.flips.length > 0) {
    out.push(
      table(
        ['production', 'candidate', 'events'],
        d.flips.map((f) => [f.from, f.to, String(f.events)]),
        ['l', 'l', 'r'],
      ),
      '',
    );
  }
  for (const x of d.differingExamples) {
    out.push(
      `- \`${x.eventId}\`: ${x.production.action} [${x.production.reasons.join(', ')}] → ${x.candidate.action} [${x.candidate.reasons.join(', ')}]`,
    );
  }
  if (d.differingExamples.length > 0) out.push('');
  out.push('## Rule hits', '');
  out.push(
    d.rules.length === 0
      ? 'No rule fired on either side.'
      : table(
          ['rule', 'production', 'candidate', 'change', 'gained', 'lost'],
          d.rules.map((r) => [
            r.rule,
            String(r.production),
            String(r.candidate),
            signed(r.change),
            String(r.gained),
            String(r.lost),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r'],
        ),
    '',
  );
  out.push('## Online/offline consistency', '');
  out.push(
    "Each replayed vector against the vector production logged for the same event, value by value (quotients within four units in the last place, as the replay check). An event counts as having all its inputs when its reach lies in the stored history, no transaction in its reach was stored without milliseconds, and its customer's previous transaction was replayed or the customer had none before the warm-up (rule in `e2e/src/backtest/inputs.ts`).",
    '',
  );
  out.push(
    table(
      ['events', 'vectors', 'identical', 'share', 'no replayed vector'],
      [
        [
          'inputs all present',
          String(complete.vectors),
          String(complete.exactVectors),
          pct(complete.exactShare, 3),
          String(complete.missing),
        ],
        [
          'all in the range',
          String(all.vectors),
          String(all.exactVectors),
          pct(all.exactShare, 3),
          String(all.missing),
        ],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  out.push(
    complete.vectors + complete.missing === 0
      ? "**Nothing to check**: no event of the range had all its inputs in the replay (a range that starts less than the reach after the first stored transaction), so no vector is held to production's; the share is null."
      : consistent(result)
        ? '**Consistent**: every vector whose inputs were all replayed is identical.'
        : '**Not consistent**: vectors whose inputs were all replayed differ from the logged ones (the run fails).',
    '',
  );
  const differing = all.features.filter((f) => f.differs > 0);
  if (differing.length > 0) {
    out.push(`Features that differ (all events): ${differing.map((f) => `${f.name} ${f.differs}`).join(', ')}`, '');
    for (const w of all.worst) out.push(`- \`${w.eventId}\` ${w.feature}: logged ${w.reference}, replayed ${w.logged}`);
    out.push('');
  }
  out.push('```json', JSON.stringify(headline(result)), '```', '');
  return out.join('\n');
}
