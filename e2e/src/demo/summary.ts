import type { Summary } from '@pipeline/loadtest';
import type { RecsysQuality } from '@pipeline/sink/queries/recsys-quality';
import type { DeadLetterStats } from '../run/dead-letters-reader.js';
import type { DecisionStats } from '../run/decisions-reader.js';
import type { RunUseCase } from '../run/namespace.js';
import type { RecommendationStats } from '../run/recommendations-reader.js';
import type { FraudOutcome } from './outcome.js';
import type { ListQuality } from './recsys-quality.js';

export interface ServiceExit {
  name: string;
  clean: boolean;
  code: number | null;
  signal: string | null;
}

/** What the recommendation traffic of a run gave. */
export interface RecsysSummary {
  published: { interactions: number; requests: number; labels: number; seconds: number; rate: number };
  ranked: RecommendationStats;
  /** Requests sent that got neither a ranked list nor a dead letter before the demo stopped waiting. */
  unaccounted: number;
  /** Requests a service dead-lettered (the request or its enriched request). */
  deadLettered: number;
  /** CTR, NDCG@10 and recall@10 per model version and variant, from the sink's quality views. */
  quality: RecsysQuality[];
  /** The ranked lists and the popularity baseline on the same requests, against every clicked candidate. */
  comparison: { ranked: ListQuality; popularity: ListQuality } | null;
}

export interface DemoSummary {
  run: string;
  useCases: readonly RunUseCase[];
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
  /** Null when the run carried no recommendations. */
  recsys: RecsysSummary | null;
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

const fixed = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));

function qualityLine(q: RecsysQuality): string {
  const model = q.model_name === null ? 'rules only' : `${q.model_name}@${q.model_version}`;
  return `${model} (${q.experiment_variant}): ${int(q.recommendations)} lists, CTR ${q.ctr === null ? '-' : `${(100 * q.ctr).toFixed(1)}%`}, NDCG@10 ${fixed(q.ndcg_at_10)}, recall@10 ${fixed(q.recall_at_10)} over ${int(q.recommendations_clicked)} requests with a click`;
}

/** The recommendations part of the report. */
export function formatRecsys(r: RecsysSummary): string[] {
  const k = r.ranked;
  const lines = [
    'Recommendations',
    `Events in        ${int(r.published.interactions)} interactions, ${int(r.published.requests)} requests and ${int(r.published.labels)} labels in ${r.published.seconds.toFixed(1)} s (${int(Math.round(r.published.rate))} events/s)`,
    `Ranked lists out ${int(k.requests)} of ${int(r.published.requests)} requests (${int(k.duplicates)} ranked twice, ${int(r.deadLettered)} dead-lettered, ${int(r.unaccounted)} unaccounted for)`,
    `Ranked by        ${byPath(k.byPath)} (RULES_ONLY: the fallback order, scores missed the budget)`,
    `  after warm-up  ${byPath(k.steadyByPath)} (requests published after the first 5 s)`,
    `Request → list   ${latencyLine(k.latencyMs).replace('decisions', 'lists')} (publish → recommendations topic)`,
    `  after warm-up  ${latencyLine(k.steadyLatencyMs).replace('decisions', 'lists')}`,
  ];
  if (r.quality.length === 0) lines.push('Quality (sink)   no ranked list stored yet');
  else
    lines.push(...r.quality.map((q, i) => `${i === 0 ? 'Quality (sink)   ' : '                 '}${qualityLine(q)}`));
  const c = r.comparison;
  if (c) {
    const figures = (q: ListQuality) => `NDCG@10 ${fixed(q.ndcgAt10)}, recall@10 ${fixed(q.recallAt10)}`;
    lines.push(
      `Against clicks   the same ${int(c.ranked.lists)} requests, ${int(c.ranked.withClick)} with a clicked candidate (every click, shown or not):`,
      `                 ranked lists ${figures(c.ranked)}; popularity (views over 7 days) ${figures(c.popularity)}`,
    );
  }
  return lines;
}

/** The demo's closing report, as printed. */
export function formatSummary(s: DemoSummary): string {
  const d = s.decisions;
  const fraud = s.useCases.includes('fraud');
  const lines = [`Run ${s.run}`, ''];
  if (fraud) {
    lines.push(
      `Events in        ${int(s.published.transactions)} transactions and ${int(s.published.labels)} labels in ${s.published.seconds.toFixed(1)} s (${int(Math.round(s.published.rate))} events/s)`,
      `Decisions out    ${int(d.events)} (${int(d.duplicates)} events decided twice, ${int(s.undecided)} unaccounted for)`,
    );
  }
  lines.push(
    `Dead letters     ${int(s.deadLetters.total)}${Object.entries(s.deadLetters.byReason)
      .map(([reason, r]) => `\n                   ${int(r.count)} ${reason}: ${r.example}`)
      .join('')}`,
  );
  if (fraud) {
    lines.push(
      `Decision mix     ${Object.entries(d.byAction)
        .sort((a, b) => b[1] - a[1])
        .map(([action, n]) => `${action} ${int(n)} (${pct(n, d.received)})`)
        .join(', ')}`,
      `Decided by       ${byPath(d.byPath)}`,
      `  after warm-up  ${byPath(d.steadyByPath)} (events published after the first 5 s)`,
      `End to end       ${latencyLine(d.latencyMs)} (publish → decisions topic)`,
      `  after warm-up  ${latencyLine(d.steadyLatencyMs)} (events published after the first 5 s)`,
    );
  }
  const o = s.outcome;
  if (o && fraud) {
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
  );
  if (s.recsys) lines.push('', ...formatRecsys(s.recsys));
  lines.push(
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
