import {
  type LatencyProbe,
  type PublishProgress,
  type PublishStats,
  type SimEvent,
  type Summary,
  startLatencyProbe,
} from '@pipeline/loadtest';
import type { Admin, AvroSerde, Kafka } from '@pipeline/shared';
import { type RequestRates, startRequestWindow } from '../processes/kafka-requests.js';
import { startSeriesWindow } from '../processes/metric-sums.js';
import { type ProcessUsage, startUsageWindow } from '../processes/usage.js';
import type { RunNamespace } from '../run/namespace.js';
import { streamTraffic } from '../run/traffic.js';
import { judgeStep, type LagSample, type StepJudgement } from './steady-state.js';

export interface StepResult {
  rate: number;
  judgement: StepJudgement;
  /** Publish → output topic, over the messages that arrived after the settle period. */
  latencyMs: Summary;
  /** Publish → each topic on the way (enriched, scores, decisions): where the time goes, hop by hop. */
  hops: Record<string, Summary>;
  /** Events some service dead-lettered during the step (they get no decision). */
  deadLetters: number;
  /** Seconds the pipeline needed after the last publish to deliver everything (null: it did not). */
  drainSeconds: number | null;
  usage: ProcessUsage[];
  /** Requests per second each service sent the brokers over the measured window, by API. */
  kafkaRequests: RequestRates;
  /** The features service's label gate over the same window (null: no features process answered). */
  labelGate: LabelGateFigures | null;
  /** Each service's main event loop over the same window (from its /metrics; empty when none answered). */
  eventLoops: EventLoops;
  /**
   * Share of the decision engine's decisions over the window made on rules alone because the score
   * missed its budget (null: no decision process answered, or it decided nothing).
   */
  rulesOnlyShare: number | null;
}

/**
 * What a step publishes and where it reads the result: by default the fraud transactions, to the
 * decisions topic by way of enriched and scores; another use case gives its own.
 */
export interface StepTraffic {
  /** The output topic: one message per event published. */
  output: string;
  /** Topics on the way, by hop name, the output last. */
  hops: Record<string, string>;
  publish(rate: number, durationMs: number, onProgress: (p: PublishProgress) => void): Promise<PublishStats>;
}

/** What the label gate cost the features service: rounds gated, their mean wait, its reads. */
export interface LabelGateFigures {
  roundsPerS: number;
  meanWaitMs: number | null;
  progressReadsPerS: number;
  offsetsLookupsPerS: number;
}

/**
 * Per process, the share of the window its main event loop was busy (its event loop utilization: a
 * loop near 1 queues whatever arrives) and the share spent in garbage collection.
 */
export type EventLoops = Record<string, { busy: number; gc: number }>;

const LOOP_ACTIVE = 'nodejs_eventloop_time_total{nodejs_eventloop_state="active"}';
const LOOP_IDLE = 'nodejs_eventloop_time_total{nodejs_eventloop_state="idle"}';
const GC_SECONDS = 'v8js_gc_duration_sum';
const LOOP_SERIES = [LOOP_ACTIVE, LOOP_IDLE, GC_SECONDS] as const;

const DECISIONS = 'decision_decisions_total';
const RULES_ONLY = `${DECISIONS}{path="RULES_ONLY"}`;

const GATE_SERIES = [
  'features_label_wait_count',
  'features_label_wait_sum',
  'features_label_progress_reads_total',
  'features_label_offsets_lookups_total',
] as const;

/** Messages ever written to a topic: the sum of its partitions' high watermarks. */
async function messageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

/**
 * One step: `rate` events/s into the pipeline's input for `durationMs`, the backlog sampled every
 * second from the output topic's offsets, latency from a probe started after `settleMs`, CPU and
 * memory of `pids` over the same window. Then waits up to `drainMs` for the output to catch up.
 */
export async function runStep(options: {
  kafka: Kafka;
  serde: AvroSerde;
  ns: RunNamespace;
  events: Iterator<SimEvent>;
  rate: number;
  durationMs: number;
  settleMs: number;
  drainMs?: number;
  pids: Record<string, number>;
  /** Each service's metrics port, for its Kafka request counts. */
  ports: Record<string, number>;
  /** Publish in order (see streamTraffic); the identity pipeline need not, and goes faster. */
  ordered: boolean;
  /** Another use case's traffic in place of the transactions in `events`. */
  traffic?: StepTraffic;
}): Promise<StepResult> {
  const { kafka, ns, rate } = options;
  const stepTraffic = options.traffic ?? fraudTraffic(options);
  const output = stepTraffic.output;
  // One admin connection for the step's offset reads (every second, and while draining).
  const admin = kafka.admin();
  await admin.connect();
  const outputCount = (topic: string) => messageCount(admin, topic);
  const base = await outputCount(output);
  const refusedBase = await outputCount(ns.topics.deadLetters);
  const samples: LagSample[] = [];
  let published = 0;
  let delivered = 0;
  const began = performance.now();
  const hopTopics = stepTraffic.hops;
  let probes: { hop: string; probe: LatencyProbe }[] | undefined;
  let usage: ReturnType<typeof startUsageWindow> | undefined;
  let requests: ReturnType<typeof startRequestWindow> | undefined;
  let gate: ReturnType<typeof startSeriesWindow> | undefined;
  let paths: ReturnType<typeof startSeriesWindow> | undefined;
  type SeriesWindow = Awaited<ReturnType<typeof startSeriesWindow>>;
  let loops: Promise<[string, SeriesWindow]>[] = [];
  const settle = setTimeout(() => {
    usage = startUsageWindow(options.pids);
    requests = startRequestWindow(options.ports);
    if (options.ports.features !== undefined) gate = startSeriesWindow(options.ports.features, GATE_SERIES);
    if (options.ports.decision !== undefined)
      paths = startSeriesWindow(options.ports.decision, [DECISIONS, RULES_ONLY]);
    loops = Object.entries(options.ports).map(
      async ([name, port]): Promise<[string, SeriesWindow]> => [name, await startSeriesWindow(port, LOOP_SERIES)],
    );
    void Promise.all(
      Object.entries(hopTopics).map(async ([hop, topic]) => ({
        hop,
        // Hops on the way by their producer's timestamp (probes that fetch in bulk); the output as
        // its consumers see it.
        probe: await startLatencyProbe({ kafka, topic, measure: topic === output ? 'arrival' : 'produced' }),
      })),
    ).then((started) => {
      probes = started;
    });
  }, options.settleMs);
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void outputCount(output)
      .then((n) => {
        delivered = n - base;
        samples.push({ t: (performance.now() - began) / 1000, published, delivered });
      })
      .finally(() => {
        sampling = false;
      });
  }, 1_000);

  const traffic = {
    stats: await stepTraffic.publish(rate, options.durationMs, (p) => {
      published = p.sent;
    }),
  };
  clearInterval(sampler);
  clearTimeout(settle);
  published = traffic.stats.total;
  const used = usage?.end() ?? [];
  const kafkaRequests = (await (await requests)?.end()) ?? {};
  const gated = (await (await gate)?.end()) ?? null;
  const labelGate: LabelGateFigures | null = gated && {
    roundsPerS: (gated.grew.features_label_wait_count ?? 0) / gated.seconds,
    meanWaitMs: gated.grew.features_label_wait_count
      ? (gated.grew.features_label_wait_sum ?? 0) / gated.grew.features_label_wait_count
      : null,
    progressReadsPerS: (gated.grew.features_label_progress_reads_total ?? 0) / gated.seconds,
    offsetsLookupsPerS: (gated.grew.features_label_offsets_lookups_total ?? 0) / gated.seconds,
  };
  const decided = (await (await paths)?.end()) ?? null;
  const eventLoops: EventLoops = {};
  for (const [name, window] of await Promise.all(loops)) {
    const w = await window.end();
    const active = w?.grew[LOOP_ACTIVE] ?? 0;
    const total = active + (w?.grew[LOOP_IDLE] ?? 0);
    if (w && total > 0) eventLoops[name] = { busy: active / total, gc: (w.grew[GC_SECONDS] ?? 0) / w.seconds };
  }
  const rulesOnlyShare = decided?.grew[DECISIONS] ? (decided.grew[RULES_ONLY] ?? 0) / decided.grew[DECISIONS] : null;
  const judgement = judgeStep(samples, rate, { publishedRate: traffic.stats.rate });

  const drainStart = performance.now();
  let drainSeconds: number | null = null;
  while (performance.now() - drainStart < (options.drainMs ?? 30_000)) {
    delivered = (await outputCount(output)) - base;
    if (delivered + (await outputCount(ns.topics.deadLetters)) - refusedBase >= published) {
      drainSeconds = (performance.now() - drainStart) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  while (!probes && performance.now() - began < options.settleMs + 10_000) await new Promise((r) => setTimeout(r, 100));
  const hops: Record<string, Summary> = {};
  for (const { hop, probe } of probes ?? []) hops[hop] = (await probe.stop()).latencyMs;
  const empty: Summary = { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  const deadLetters = (await outputCount(ns.topics.deadLetters)) - refusedBase;
  await admin.disconnect();
  return {
    rate,
    judgement,
    latencyMs: hops[Object.keys(hopTopics).at(-1) ?? 'decisions'] ?? empty,
    hops,
    deadLetters,
    drainSeconds,
    usage: used,
    kafkaRequests,
    labelGate,
    eventLoops,
    rulesOnlyShare,
  };
}

/** The transactions of `events` into the run's topics, decided on the decisions topic. */
function fraudTraffic(options: {
  kafka: Kafka;
  serde: AvroSerde;
  ns: RunNamespace;
  events: Iterator<SimEvent>;
  ordered: boolean;
}): StepTraffic {
  const { ns } = options;
  return {
    output: ns.topics.decisions,
    hops: { enriched: ns.topics.enriched, scores: ns.topics.scores, decisions: ns.topics.decisions },
    publish: async (rate, durationMs, onProgress) => {
      // No return(): the publisher closing its loop must not end the stream the next step continues.
      const iterable: Iterable<SimEvent> = { [Symbol.iterator]: () => ({ next: () => options.events.next() }) };
      const sent = await streamTraffic({
        kafka: options.kafka,
        serde: options.serde,
        ns,
        ordered: options.ordered,
        rate,
        durationMs,
        events: iterable,
        onProgress,
      });
      return sent.stats;
    },
  };
}
