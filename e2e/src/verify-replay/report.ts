import type { DeadLetterStats } from '../run/dead-letters-reader.js';
import { type Comparison, QUOTIENT_TOLERANCE } from '../vectors/compare.js';
import { FEATURE_GROUPS, type FeatureGroup } from '../vectors/feature-groups.js';
import type { Speed } from './options.js';
import type { DayTally } from './reconcile.js';

export interface VerifyReplayResult {
  date: string;
  run: string;
  /** The command line, to run it again. */
  command: string;
  machine: { cpus: number; model: string; memoryGb: number; loadBefore: number[]; node: string };
  history: {
    seed: number;
    days: number;
    customers: number;
    terminals: number;
    fraudRate: number;
    speed: Speed;
    /** With `slow`. */
    lagCap: number | null;
  };
  featureSet: { name: string; version: number; features: number; keepDays: number };
  published: { transactions: number; labels: number; seconds: number };
  /** From the first message published until the sink had stored every accepted vector. */
  pipelineSeconds: number;
  /** The reference and the comparison, after the pipeline was done. */
  referenceSeconds: number;
  wallSeconds: number;
  /** Peak resident memory of the check's own process (publisher, reference, comparison). */
  peakRssMb: number;
  /** Transactions dead-lettered by a service: not expected in ClickHouse. */
  refused: number;
  deadLetters: DeadLetterStats;
  /** Services that did not exit cleanly when stopped. */
  uncleanExits: string[];
  comparison: Comparison;
  /** Per day of event time. */
  days: DayTally[];
}

const GROUP_TITLES: Record<FeatureGroup, string> = {
  customer: 'customer_* (one partition per customer)',
  terminal_counts: 'terminal_* counts',
  terminal_fraud_rates: 'terminal_* fraud rates (labels)',
  event: 'event_* (the event alone)',
};

/** The JSON line's figures. */
export function headline(result: VerifyReplayResult) {
  const c = result.comparison;
  return {
    verify: 'replay' as const,
    vectors: c.vectors,
    exact_share: c.exactShare,
    group_shares: Object.fromEntries(
      FEATURE_GROUPS.flatMap((g) => (c.groups[g] ? [[g, c.groups[g].exactShare]] : [])),
    ) as Partial<Record<FeatureGroup, number | null>>,
    speed: result.history.speed,
    lag_cap: result.history.lagCap,
    transactions: result.published.transactions,
    labels: result.published.labels,
    refused: result.refused,
    missing: c.missing,
    unexpected: c.unexpected,
    close_values: c.closeValues,
    wall_s: round(result.wallSeconds, 1),
    pipeline_s: round(result.pipelineSeconds, 1),
    reference_s: round(result.referenceSeconds, 1),
    peak_rss_mb: Math.round(result.peakRssMb),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (share: number | null) => (share === null ? '-' : `${(share * 100).toFixed(share === 1 ? 0 : 3)} %`);

/** A value as text that tells NaN and the last digits apart. */
export function showValue(x: number): string {
  return Number.isNaN(x) ? 'NaN' : String(x);
}

/** The report as Markdown. */
export function renderReport(result: VerifyReplayResult): string {
  const c = result.comparison;
  const h = result.history;
  const m = result.machine;
  const lines = [
    `# Replay exactness, ${result.date}`,
    '',
    `\`${result.command}\` (run \`${result.run}\`)`,
    '',
    `Machine: ${m.cpus} × ${m.model}, ${m.memoryGb.toFixed(1)} GB, Node ${m.node}; load average before the run ${m.loadBefore.map((l) => l.toFixed(2)).join(' / ')}. Servers, services, the publisher and the reference all ran on it.`,
    '',
    `History: simulator seed ${h.seed}, ${h.days} days, ${int(h.customers)} customers, ${int(h.terminals)} terminals, fraud rate ${h.fraudRate}: ${int(result.published.transactions)} transactions and ${int(result.published.labels)} labels, published in event-time order ${h.speed === 'fast' ? 'as fast as the broker acknowledged, one batch at a time' : `with at most ${int(h.lagCap ?? 0)} messages beyond what the feature service had consumed`} (${result.published.seconds.toFixed(1)} s). The pipeline's four services ran as processes with their default settings, tracing off; every vector the sink stored in \`transactions_enriched\` was compared with \`referenceStream\` (the definition, \`computeReference\`) over the same events in the published order, keeping ${result.featureSet.keepDays} days of history (the longest window plus its bucket).`,
    '',
    `Values are compared exactly (NaN equals NaN), except quotients (means, rates, ratios, seconds since the previous transaction), which may differ by four units in the last place (a relative ${QUOTIENT_TOLERANCE.toExponential(2)}): the sink writes them as decimal text in \`INSERT … VALUES\`, which ClickHouse 18.16 parses one unit in the last place off now and then. ${int(c.closeValues)} values matched only within that tolerance.`,
    '',
    '## Exact vectors',
    '',
    '| feature group | features | exact vectors | share |',
    '| ------------- | -------: | ------------: | ----: |',
    `| **all ${result.featureSet.name} v${result.featureSet.version}** | ${result.featureSet.features} | ${int(c.exactVectors)} of ${int(c.vectors)} | **${pct(c.exactShare)}** |`,
    ...FEATURE_GROUPS.flatMap((g) => {
      const s = c.groups[g];
      return s ? [`| ${GROUP_TITLES[g]} | ${s.features} | ${int(s.exactVectors)} | ${pct(s.exactShare)} |`] : [];
    }),
    '',
  ];
  const differing = c.features.filter((f) => f.differs > 0 || f.close > 0);
  if (differing.length > 0) {
    lines.push(
      '## Features that differ',
      '',
      '| feature | vectors where it differs | share | within tolerance only |',
      '| ------- | -----------------------: | ----: | --------------------: |',
      ...differing.map(
        (f) =>
          `| ${f.name} | ${int(f.differs)} | ${pct(c.vectors === 0 ? null : f.differs / c.vectors)} | ${int(f.close)} |`,
      ),
      '',
    );
  }
  if (c.worst.length > 0) {
    lines.push(
      '## Worst differences',
      '',
      'The largest differences, in turns over the differing features: NaN against a number first, then by absolute difference.',
      '',
      '| event id | feature | logged | reference |',
      '| -------- | ------- | -----: | --------: |',
      ...c.worst.map((d) => `| ${d.eventId} | ${d.feature} | ${showValue(d.logged)} | ${showValue(d.reference)} |`),
      '',
    );
  }
  const imperfect = result.days.filter((d) => d.exactVectors < d.vectors);
  if (imperfect.length > 0) {
    lines.push(
      '## Days with differences',
      '',
      `${result.days.length - imperfect.length} of ${result.days.length} days of event time had every vector exact; the others:`,
      '',
      '| day | vectors | exact | share |',
      '| --- | ------: | ----: | ----: |',
      ...imperfect.map(
        (d) =>
          `| ${new Date(d.day).toISOString().slice(0, 10)} | ${int(d.vectors)} | ${int(d.exactVectors)} | ${pct(d.exactVectors / d.vectors)} |`,
      ),
      '',
    );
  }
  const reasons = Object.entries(result.deadLetters.byReason);
  lines.push(
    '## Accounting',
    '',
    `- Transactions published: ${int(result.published.transactions)}; vectors compared: ${int(c.vectors)}${c.otherSet > 0 ? ` (${int(c.otherSet)} logged under another feature set or version, counted as not exact)` : ''}${c.wrongLength > 0 ? `; ${int(c.wrongLength)} of another length` : ''}.`,
    `- Refused by a service (dead letters, not expected in ClickHouse): ${int(result.refused)}.${reasons.length > 0 ? ` Dead letters by reason: ${reasons.map(([r, x]) => `${r} ${int(x.count)} (e.g. ${x.example})`).join('; ')}.` : ''}`,
    `- Accepted but not in ClickHouse: ${int(c.missing)}${c.missingExamples.length > 0 ? ` (e.g. ${c.missingExamples.join(', ')})` : ''}; in ClickHouse but not in the history: ${int(c.unexpected)}${c.unexpectedExamples.length > 0 ? ` (e.g. ${c.unexpectedExamples.join(', ')})` : ''}.`,
    `- Services stopped cleanly: ${result.uncleanExits.length === 0 ? 'all' : `not ${result.uncleanExits.join(', ')}`}.`,
    `- Time: publishing to every vector stored ${result.pipelineSeconds.toFixed(1)} s, reference and comparison ${result.referenceSeconds.toFixed(1)} s, wall ${result.wallSeconds.toFixed(1)} s; peak memory of the check's process ${Math.round(result.peakRssMb)} MB.`,
    '',
  );
  return lines.join('\n');
}
