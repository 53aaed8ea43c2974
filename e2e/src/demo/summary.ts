import type { Summary } from '@pipeline/loadtest';
import type { DeadLetterStats } from '../run/dead-letters-reader.js';
import type { DecisionStats } from '../run/decisions-reader.js';
import type { FraudOutcome } from './outcome.js';

export interface ServiceExit {
  name: string;
  clean: boolean;
  code: number | null;
  signal: string | null;
}

export interface DemoSummary {
  run: string;
  published: { transactions: number; labels: number; seconds: number; rate: number };
  decisions: DecisionStats;
  /** Transactions sent that got neither a decision nor a dead letter before the demo stopped waiting. */
  undecided: number;
  deadLetters: DeadLetterStats;
  outcome: FraudOutcome | null;
  /** Rows per ClickHouse table of the run. */
  rows: Record<string, number>;
  /** One line per check the monitor ran, or why there is none. */
  monitor: string[];
  /** A sample answer of the online feature API. */
  featureSample: { url: string; body: unknown } | null;
  services: ServiceExit[];
  where: string[];
}

const money = (minor: number) =>
  `€${(minor / 100).toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`;
const int = (n: number) => n.toLocaleString('en-US');
const pct = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

function latencyLine(s: Summary): string {
  return `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)} over ${int(s.count)} decisions`;
}

/** Decisions by path, each with its share: RULES_ONLY is a score that missed its budget. */
function byPath(paths: Record<string, number>): string {
  const total = Object.values(paths).reduce((a, b) => a + b, 0);
  return Object.entries(paths)
    .sort((a, b) => b[1] - a[1])
    .map(([path, n]) => `${path} ${int(n)} (${pct(n, total)})`)
    .join(', ');
}

/** The demo's closing report, as printed. */
export function formatSummary(s: DemoSummary): string {
  const d = s.decisions;
  const lines = [
    `Run ${s.run}`,
    '',
    `Events in        ${int(s.published.transactions)} transactions and ${int(s.published.labels)} labels in ${s.published.seconds.toFixed(1)} s (${int(Math.round(s.published.rate))} events/s)`,
    `Decisions out    ${int(d.events)} (${int(d.duplicates)} events decided twice, ${int(s.undecided)} unaccounted for)`,
    `Dead letters     ${int(s.deadLetters.total)}${Object.entries(s.deadLetters.byReason)
      .map(([reason, r]) => `\n                   ${int(r.count)} ${reason}: ${r.example}`)
      .join('')}`,
    `Decision mix     ${Object.entries(d.byAction)
      .sort((a, b) => b[1] - a[1])
      .map(([action, n]) => `${action} ${int(n)} (${pct(n, d.received)})`)
      .join(', ')}`,
    `Decided by       ${byPath(d.byPath)}`,
    `  after warm-up  ${byPath(d.steadyByPath)} (events published after the first 5 s)`,
    `End to end       ${latencyLine(d.latencyMs)} (publish → decisions topic)`,
    `  after warm-up  ${latencyLine(d.steadyLatencyMs)} (events published after the first 5 s)`,
  ];
  const o = s.outcome;
  if (o) {
    lines.push(
      `Fraud caught     ${int(o.caught)} of ${int(o.frauds)} labelled frauds (${pct(o.caught, o.frauds)}); missed ${int(o.frauds - o.caught)}`,
      `Money            saved ${money(o.savedMinor)} (frauds not approved), lost ${money(o.lostMinor)} (frauds approved)`,
      `Genuine flagged  ${int(o.genuineFlagged)} of ${int(o.genuine)} labelled genuine (${pct(o.genuineFlagged, o.genuine)})`,
    );
  }
  lines.push(
    `ClickHouse rows  ${Object.entries(s.rows)
      .map(([t, n]) => `${t} ${int(n)}`)
      .join(', ')}`,
    '',
    'Monitor:',
    ...s.monitor.map((l) => `  ${l}`),
    '',
    `Services         ${s.services.map((e) => `${e.name} ${e.clean ? 'stopped cleanly' : `exit ${e.code ?? e.signal}`}`).join(', ')}`,
  );
  if (s.featureSample) {
    lines.push(
      '',
      `Online features  GET ${s.featureSample.url}`,
      `  ${JSON.stringify(s.featureSample.body).slice(0, 400)}...`,
    );
  }
  lines.push('', 'Where to look next:', ...s.where.map((l) => `  ${l}`));
  return lines.join('\n');
}
