import { BAD_KINDS } from './bad-messages.js';
import { type FaultFigures, totals } from './figures.js';
import type { ChaosOptions } from './options.js';

export interface ChaosResult {
  date: string;
  machine: { cpus: number; model: string; loadBefore: number[]; node: string };
  options: ChaosOptions;
  /** Whether this script started the servers (server faults need that). */
  ownServers: boolean;
  rows: FaultFigures[];
}

/** What each fault does, for the report. */
const WHAT: Record<FaultFigures['fault'], string> = {
  'kill-features': 'features SIGKILLed, restarted after --down',
  'kill-scorer': 'scorer SIGKILLed, restarted after --down',
  'kill-decision': 'decision engine SIGKILLed, restarted after --down',
  'kill-sink': 'sink SIGKILLed, restarted after --down',
  'scale-out': 'a second instance of every service added; then the first ones SIGKILLed',
  'bad-input': 'malformed messages and resent transactions mixed into the traffic',
  'redis-restart': 'Redis stopped, started again after --down',
  'registry-restart': 'Schema Registry stopped, started again after --down',
  'clickhouse-outage': 'ClickHouse stopped for a minute',
  'kafka-restart': 'the Kafka broker stopped, started again after --down',
};

const cell = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '–' : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);

/** Exact of logged (not logged); where vectors differ, when the first was published against the fault. */
function featuresCell(r: FaultFigures): string {
  const f = r.features;
  if (!f) return '–';
  const first =
    f.firstDifferingMs === null
      ? ''
      : `; first differing ${cell(f.firstDifferingMs / 1000)} s in, the fault at ${cell((r.faultAtMs ?? 0) / 1000)} s`;
  return `${cell(f.exact)} of ${cell(f.vectors)} (${cell(f.missing)})${first}`;
}

export function renderReport(result: ChaosResult): string {
  const { options: o } = result;
  const t = totals(result.rows);
  const lines = [
    `# Chaos run, ${result.date}`,
    '',
    `\`npm run chaos -- --rate ${o.rate} --window ${o.windowMs / 1000}s --down ${o.downMs / 1000}s --bad ${o.bad} --seed ${o.seed} --faults ${o.faults.join(',')}\``,
    '',
    `${result.machine.cpus} × ${result.machine.model}, Node ${result.machine.node}, load before ${result.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}; ` +
      `servers ${result.ownServers ? 'started by this run' : 'given by the environment (server faults skipped)'}. ` +
      'Each fault gets its own window of steady traffic and lands a third of the way in; a window ends once ' +
      'every transaction of it is decided or dead-lettered (or 90 s after its traffic, whatever is left is lost). ' +
      '"Features exact": the vectors the sink logged for the window\'s transactions that equal, in every value, ' +
      "those of a run without faults (the feature set's reference over the events as published); a fault " +
      'that lost, doubled or reordered feature state shows in the vectors after it.',
    '',
    '| fault | what | published | decided once | lost | decided twice (differing) | dead-lettered | features exact (not logged) | recovery s | ready s | crashes |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of result.rows) {
    if (r.skipped) {
      lines.push(`| ${r.fault} | ${WHAT[r.fault]} | skipped: ${r.skipped} | | | | | | | | |`);
      continue;
    }
    const e = r.events;
    lines.push(
      `| ${r.fault} | ${WHAT[r.fault]} | ${cell(e?.published)} | ${cell(e?.decidedOnce)} | ${cell(e?.lost)} | ` +
        `${cell(e?.duplicates)} (${cell(e?.differingDuplicates)}) | ${cell(e?.deadLettered)} | ` +
        `${featuresCell(r)} | ` +
        `${r.recoveryS === null ? 'not recovered' : cell(r.recoveryS)} | ${cell(r.readyS)} | ${(r.crashes ?? []).join(', ') || '–'} |`,
    );
  }
  const bad = result.rows.find((r) => r.bad)?.bad;
  if (bad) {
    lines.push(
      '',
      '## Malformed input',
      '',
      `${cell(bad.sent)} malformed messages sent to the transactions topic, ${cell(bad.deadLettered)} dead-lettered with their reason; ` +
        `${cell(bad.resent)} valid transactions sent a second time, ${cell(bad.resentDecidedTwice)} of them decided twice.`,
      '',
      '| kind | sent | dead-lettered |',
      '| --- | ---: | ---: |',
      ...BAD_KINDS.map(
        (k) => `| ${k} | ${cell(bad.byKind[k]?.sent ?? 0)} | ${cell(bad.byKind[k]?.deadLettered ?? 0)} |`,
      ),
    );
  }
  lines.push('', '## Dead letters by window', '');
  for (const r of result.rows.filter((x) => x.deadLetters && Object.keys(x.deadLetters).length > 0)) {
    const reasons = Object.entries(r.deadLetters ?? {})
      .map(([reason, n]) => `${reason} ${cell(n)}`)
      .join('; ');
    lines.push(`- ${r.fault}: ${reasons}`);
  }
  lines.push(
    '',
    '## Totals',
    '',
    `published ${cell(t.published)}, lost ${cell(t.lost)}, decided twice ${cell(t.duplicates)} ` +
      `(differing ${cell(t.differing_duplicates)}), malformed ${cell(t.bad_messages)} of which dead-lettered ` +
      `${cell(t.bad_dead_lettered)}, crashes from input ${cell(t.input_crashes)}, slowest recovery ` +
      `${t.max_recovery_s === null ? '–' : `${t.max_recovery_s} s`}, features exact in ${cell(t.vectors_exact)} of ` +
      `${cell(t.vectors)} logged vectors (${cell(t.vectors_missing)} transactions without one)` +
      (t.not_recovered.length > 0 ? `; not recovered within the run: ${t.not_recovered.join(', ')}` : '') +
      (t.skipped.length > 0 ? `; skipped: ${t.skipped.join(', ')}` : '') +
      '.',
    '',
    'Goals: 0 lost, 0 differing duplicates, every malformed message dead-lettered with its reason, no ' +
      'process crash from input, recovery under 10 s after a service restart, every vector as a run without ' +
      'faults serves it.',
    '',
  );
  return lines.join('\n');
}

/** The run's last line. */
export function summaryLine(result: ChaosResult): string {
  const faults = Object.fromEntries(
    result.rows.map((r) => [
      r.fault,
      r.skipped
        ? { skipped: r.skipped }
        : {
            ...r.events,
            recovery_s: r.recoveryS ?? null,
            crashes: r.crashes?.length ?? 0,
            vectors: r.features?.vectors ?? 0,
            vectors_exact: r.features?.exact ?? 0,
            vectors_missing: r.features?.missing ?? 0,
          },
    ]),
  );
  return JSON.stringify({ chaos: faults, ...totals(result.rows) });
}
