import { formatRequests, totalRate } from '../processes/kafka-requests.js';
import { formatCpuWait, type ProcessUsage } from '../processes/usage.js';
import type { LabelGateFigures, StepResult } from './run-step.js';

export interface PipelineResult {
  /** recsys: rates are recommendation requests/s, the output the ranked lists. */
  kind: 'fraud' | 'identity' | 'recsys';
  steps: StepResult[];
  searched: StepResult[];
  /** Highest rate sustained (0 if none). */
  maxSustained: number;
  /** Lowest rate not sustained, when one was found. */
  firstFailed: number | null;
}

export interface BenchResult {
  date: string;
  machine: { cpus: number; model: string; memoryGb: number; loadBefore: number[]; node: string };
  stepSeconds: number;
  settleSeconds: number;
  quick?: boolean;
  /** Services ran with OpenTelemetry tracing on. */
  tracing?: boolean;
  pipelines: PipelineResult[];
}

export const GOALS = {
  p99AtThousandMs: 50,
  recsysP99AtThousandMs: 100,
  sustainedEps: 5_000,
  identityShare: 0.5,
  relayCpuUsPerMessage: 60,
  servicesCpuUsPerEvent: 400,
};

/** The processes on an event's path whose CPU per event the headline adds up. */
const SERVICES = ['features', 'scorer', 'decision', 'sink'];
const RELAYS = ['relay1', 'relay2', 'relay3'];

/** CPU time per delivered event of each process over the step's measured window, in µs. */
export function cpuUsPerEvent(step: StepResult): Record<string, number> {
  const rate = step.judgement.deliveredRate;
  if (!(rate > 0)) return {};
  return Object.fromEntries(step.usage.map((u) => [u.name, (u.cpuPercent / 100) * (1e6 / rate)]));
}

/** Requests the services sent the broker per delivered event. */
function kafkaRequestsPerEvent(step: StepResult): number | null {
  const rate = step.judgement.deliveredRate;
  if (!(rate > 0) || Object.keys(step.kafkaRequests).length === 0) return null;
  return Object.values(step.kafkaRequests).reduce((sum, byApi) => sum + totalRate(byApi), 0) / rate;
}

function sumOf(perEvent: Record<string, number>, names: string[]): number | null {
  const present = names.filter((n) => perEvent[n] !== undefined);
  return present.length === 0 ? null : present.reduce((sum, n) => sum + (perEvent[n] as number), 0);
}

const f = (v: number | null, digits = 1) => (v === null ? '-' : v.toFixed(digits));
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function usageCell(step: StepResult): string {
  const perEvent = cpuUsPerEvent(step);
  return step.usage
    .map((u: ProcessUsage) => {
      const us = perEvent[u.name];
      return `${u.name} ${Math.round(u.cpuPercent)}%/${Math.round(u.rssMb)}M${us === undefined ? '' : `/${int(us)}µs`}`;
    })
    .join(', ');
}

/** The figures the JSON line and the README carry. */
export function headline(result: BenchResult) {
  const fraud = result.pipelines.find((p) => p.kind === 'fraud');
  const identity = result.pipelines.find((p) => p.kind === 'identity');
  const at1000 = fraud?.steps.find((s) => s.rate === 1000);
  const ratio = fraud && identity && identity.maxSustained > 0 ? fraud.maxSustained / identity.maxSustained : null;
  const relayAt1000 = identity?.steps.find((s) => s.rate === 1000);
  const relayUs = relayAt1000 ? cpuUsPerEvent(relayAt1000) : {};
  const relayCount = RELAYS.filter((r) => relayUs[r] !== undefined).length;
  const relays = sumOf(relayUs, RELAYS);
  const hop = (name: string) => at1000?.hops[name]?.p99 ?? null;
  return {
    bench: 'e2e' as const,
    quick: result.quick ?? false,
    tracing: result.tracing ?? false,
    p99_ms_at_1000: at1000?.latencyMs.p99 ?? null,
    p50_ms_at_1000: at1000?.latencyMs.p50 ?? null,
    hops_p99_ms_at_1000: { enriched: hop('enriched'), scores: hop('scores'), decisions: hop('decisions') },
    relay_cpu_us_per_msg: relays === null ? null : relays / relayCount,
    services_cpu_us_per_event: at1000 ? sumOf(cpuUsPerEvent(at1000), SERVICES) : null,
    kafka_cpu_us_per_event: at1000 ? (cpuUsPerEvent(at1000).kafka ?? null) : null,
    kafka_requests_per_event: at1000 ? kafkaRequestsPerEvent(at1000) : null,
    label_wait_ms_at_1000: at1000?.labelGate?.meanWaitMs ?? null,
    rules_only_share_at_1000: at1000?.rulesOnlyShare ?? null,
    max_sustained_eps: fraud?.maxSustained ?? null,
    identity_max_eps: identity?.maxSustained ?? null,
    pipeline_to_identity: ratio,
    ...recsysHeadline(result),
  };
}

/** The recommendation figures beside the fraud ones: requests/s delivered, p50/p99 request → ranked list. */
function recsysHeadline(result: BenchResult) {
  const recsys = result.pipelines.find((p) => p.kind === 'recsys');
  const at1000 = recsys?.steps.find((s) => s.rate === 1000);
  return {
    recsys_p99_ms_at_1000: at1000?.latencyMs.p99 ?? null,
    recsys_p50_ms_at_1000: at1000?.latencyMs.p50 ?? null,
    recsys_delivered_rps_at_1000: at1000?.judgement.deliveredRate ?? null,
    recsys_rules_only_share_at_1000: at1000?.rulesOnlyShare ?? null,
    recsys_max_sustained_rps: recsys?.maxSustained ?? null,
    // the quick run's lower rate: latency where the machine keeps up
    recsys_p99_ms_at_100: recsys?.steps.find((s) => s.rate === 100)?.latencyMs.p99 ?? null,
  };
}

/** The features service's label gate per step, when a features process was measured. */
function labelGateRows(steps: StepResult[]): string[] {
  const gated = steps.filter((s) => s.labelGate);
  if (gated.length === 0) return [];
  return [
    'The features service’s label gate (`features_label_wait`, `features_label_progress_reads`, `features_label_offsets_lookups` on its /metrics): rounds it gated, their mean wait before applying, and the reads it made:',
    '',
    '| rate/s | rounds/s | mean wait ms | progress reads/s | offsets lookups/s |',
    '| -----: | -------: | -----------: | ---------------: | ----------------: |',
    ...gated.map((s) => {
      const g = s.labelGate as LabelGateFigures;
      return `| ${int(s.rate)} | ${int(g.roundsPerS)} | ${g.meanWaitMs === null ? '-' : g.meanWaitMs.toFixed(2)} | ${int(g.progressReadsPerS)} | ${int(g.offsetsLookupsPerS)} |`;
    }),
    '',
  ];
}

/** Each service's main event loop per step: busy share and GC share of the window. */
function eventLoopRows(steps: StepResult[]): string[] {
  const measured = steps.filter((s) => Object.keys(s.eventLoops).length > 0);
  if (measured.length === 0) return [];
  const pct = (x: number) => `${Math.round(100 * x)} %`;
  return [
    'Each service’s main event loop over the step (`nodejs_eventloop_time`, `v8js_gc_duration` on its /metrics; the scorer’s inference threads are not in it): the share of the time it was busy, and in parentheses the share spent collecting garbage. A loop busy near 100 % queues every message it is handed:',
    '',
    '| rate/s | busy (GC) |',
    '| -----: | --------- |',
    ...measured.map(
      (s) =>
        `| ${int(s.rate)} | ${Object.entries(s.eventLoops)
          .map(([name, l]) => `${name} ${pct(l.busy)} (${pct(l.gc)})`)
          .join(', ')} |`,
    ),
    '',
  ];
}

/** Per step, how long each process's threads were runnable but waiting for one of the cores. */
function cpuWaitRows(steps: StepResult[]): string[] {
  const measured = steps.filter((s) => s.usage.some((u) => u.cpuWaitPercent !== null));
  if (measured.length === 0) return [];
  return [
    'Time each process’s threads were ready to run but waited for a core (`/proc/<pid>/task/*/schedstat`), in percent of one core like its CPU: where it nears or passes the CPU itself, the machine is oversubscribed and every hop queues for the cores:',
    '',
    '| rate/s | waited for a CPU |',
    '| -----: | ---------------- |',
    ...measured.map((s) => `| ${int(s.rate)} | ${formatCpuWait(s.usage)} |`),
    '',
  ];
}

/** p50/p99 at each hop, cumulative from publish: the difference between columns is a hop's cost. */
function hopRows(steps: StepResult[]): string[] {
  return steps.map((s) => {
    const cell = (hop: string) => {
      const h = s.hops[hop];
      return h ? `${f(h.p50)} / ${f(h.p99)}` : '-';
    };
    const rulesOnly = s.rulesOnlyShare === null ? '-' : `${(100 * s.rulesOnlyShare).toFixed(1)} %`;
    return `| ${int(s.rate)} | ${cell('enriched')} | ${cell('scores')} | ${cell('decisions')} | ${rulesOnly} |`;
  });
}

function stepRows(steps: StepResult[]): string[] {
  return steps.map((s) => {
    const j = s.judgement;
    const verdict = j.sustained ? 'yes' : `no: ${j.reason}`;
    return `| ${int(s.rate)} | ${int(j.publishedRate)} | ${int(j.deliveredRate)} | ${f(s.latencyMs.p50)} | ${f(s.latencyMs.p95)} | ${f(s.latencyMs.p99)} | ${f(s.latencyMs.max)} | ${verdict} | ${s.drainSeconds === null ? 'no' : `${s.drainSeconds.toFixed(1)} s`} | ${usageCell(s)} |`;
  });
}

const TITLES: Record<PipelineResult['kind'], string> = {
  fraud: 'Fraud pipeline (features → scorer → decision, sink alongside)',
  identity: 'Identity pipeline (three relays, same topics, no work)',
  recsys:
    'Recommendations pipeline (features → scorer → decision, sink alongside; rates in requests/s of 50 candidates each, after a warm-up of interactions)',
};

const HOP_NAMES: Record<PipelineResult['kind'], string[]> = {
  fraud: ['enriched (features)', 'scores (scorer)', 'decisions (decision)'],
  identity: ['enriched (relay1)', 'scores (relay2)', 'decisions (relay3)'],
  recsys: ['enriched requests (features)', 'scores (scorer)', 'recommendations (decision)'],
};

/** The report as Markdown: machine, one table per pipeline, goals met or missed. */
export function renderReport(result: BenchResult, chartFile: string | null): string {
  const h = headline(result);
  const m = result.machine;
  const lines = [
    `# End-to-end benchmark, ${result.date}`,
    '',
    `Machine: ${m.cpus} × ${m.model}, ${m.memoryGb.toFixed(1)} GB, Node ${m.node}; load average before the run ${m.loadBefore.map((l) => l.toFixed(2)).join(' / ')}. Every server (Kafka, Schema Registry, Redis, ClickHouse), every service and the load generator ran on it. Tracing ${result.tracing ? 'on' : 'off (OTEL_SDK_DISABLED=true; `--tracing` measures it on)'}.`,
    '',
    `Each step publishes simulated transactions at a fixed rate for ${result.stepSeconds} s${result.quick ? ' (quick run: three fixed rates, no search)' : ''}; latency is the time from the publisher handing a batch to Kafka to the decision arriving on the decisions topic, over the messages after the first ${result.settleSeconds} s. "Sustained": the publisher reached 95 % of the rate and the backlog (published − decided) grew by less than 5 % of the rate per second over the step's second half and ended under 2 s of traffic. CPU is percent of one core over the step (200 % = the whole machine), memory is resident size at its end, and CPU per event is the process's CPU time divided by the events delivered in the same window.`,
    '',
  ];
  for (const p of result.pipelines) {
    lines.push(
      `## ${TITLES[p.kind]}`,
      '',
      '| rate/s | published/s | delivered/s | p50 ms | p95 ms | p99 ms | max ms | sustained | drained | CPU/RSS/CPU per event, per process |',
      '| -----: | ----------: | ----------: | -----: | -----: | -----: | -----: | --------- | ------- | ------------------- |',
      ...stepRows(p.steps),
    );
    if (p.searched.length > 0) lines.push(`| **search** | | | | | | | | | |`, ...stepRows(p.searched));
    lines.push(
      '',
      `Highest sustained rate: **${int(p.maxSustained)} ${p.kind === 'recsys' ? 'requests' : 'events'}/s**${p.firstFailed === null ? '' : ` (not sustained at ${int(p.firstFailed)})`}.`,
      '',
      'Latency from publish to each topic on the way, p50 / p99 ms (a hop costs the difference), and the share of decisions made on rules alone because the score missed its budget (`decision_decisions{path="RULES_ONLY"}`):',
      '',
      `| rate/s | ${HOP_NAMES[p.kind].join(' | ')} | on rules alone |`,
      '| -----: | ----: | ----: | ----: | ----: |',
      ...hopRows([...p.steps, ...p.searched].sort((a, b) => a.rate - b.rate)),
      '',
      'Requests each process sent the Kafka broker per second, with its busiest APIs (`kafka_client_requests` on its /metrics; the broker’s CPU goes mostly per request):',
      '',
      '| rate/s | requests/s |',
      '| -----: | ---------- |',
      ...p.steps.map((s) => `| ${int(s.rate)} | ${formatRequests(s.kafkaRequests)} |`),
      '',
      ...labelGateRows(p.steps),
      ...eventLoopRows(p.steps),
      ...cpuWaitRows(p.steps),
    );
  }
  const met = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : '**missed**');
  lines.push(
    '## Goals',
    '',
    '| goal | measured | |',
    '| ---- | -------- | - |',
    `| p99 ≤ ${GOALS.p99AtThousandMs} ms at 1,000 events/s | ${f(h.p99_ms_at_1000)} ms | ${met(h.p99_ms_at_1000 === null ? null : h.p99_ms_at_1000 <= GOALS.p99AtThousandMs)} |`,
    ...(result.pipelines.some((p) => p.kind === 'recsys')
      ? [
          `| recommendations: p99 request → ranked list < ${GOALS.recsysP99AtThousandMs} ms at 1,000 requests/s | ${f(h.recsys_p99_ms_at_1000)} ms | ${met(h.recsys_p99_ms_at_1000 === null ? null : h.recsys_p99_ms_at_1000 < GOALS.recsysP99AtThousandMs)} |`,
        ]
      : []),
    `| sustained ≥ ${int(GOALS.sustainedEps)} events/s | ${h.max_sustained_eps === null ? '-' : int(h.max_sustained_eps)} | ${met(h.max_sustained_eps === null ? null : h.max_sustained_eps >= GOALS.sustainedEps)} |`,
    `| pipeline ≥ ${GOALS.identityShare * 100} % of identity | ${h.pipeline_to_identity === null ? '-' : `${(h.pipeline_to_identity * 100).toFixed(0)} %`} | ${met(h.pipeline_to_identity === null ? null : h.pipeline_to_identity >= GOALS.identityShare)} |`,
    `| identity relay ≤ ${GOALS.relayCpuUsPerMessage} µs CPU per message per hop at 1,000/s | ${h.relay_cpu_us_per_msg === null ? '-' : `${int(h.relay_cpu_us_per_msg)} µs`} | ${met(h.relay_cpu_us_per_msg === null ? null : h.relay_cpu_us_per_msg <= GOALS.relayCpuUsPerMessage)} |`,
    `| four services ≤ ${GOALS.servicesCpuUsPerEvent} µs CPU per event at 1,000/s | ${h.services_cpu_us_per_event === null ? '-' : `${int(h.services_cpu_us_per_event)} µs`} | ${met(h.services_cpu_us_per_event === null ? null : h.services_cpu_us_per_event <= GOALS.servicesCpuUsPerEvent)} |`,
    '',
  );
  if (chartFile) lines.push(`![latency against rate](${chartFile})`, '');
  return lines.join('\n');
}
