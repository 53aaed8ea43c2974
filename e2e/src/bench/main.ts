// `npm run bench`: the end-to-end benchmark (see BENCH_USAGE and docs/benchmark.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { localEnv, localPath, serversFromEnv, up } from '@pipeline/infra';
import { type RecsysEvent, type SimEvent, simulate, simulateRecsys } from '@pipeline/loadtest';
import {
  createAvroSerde,
  createClickHouse,
  createKafka,
  createLogger,
  createRegistryClient,
  errorMessage,
  kafkaSecurityOf,
  redisTls,
  runMain,
} from '@pipeline/shared';
import { Redis } from 'ioredis';
import { formatRequests } from '../processes/kafka-requests.js';
import { profileArgs } from '../processes/service-process.js';
import { findServerPids, formatCpuWait } from '../processes/usage.js';
import { renderChart } from '../run/chart.js';
import { startDeadLettersReader } from '../run/dead-letters-reader.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { type RunningPipeline, startPipeline } from '../run/pipeline.js';
import { runPrincipals } from '../run/principals.js';
import { streamRecsysTraffic } from '../run/recsys-traffic.js';
import { createRunResources, removeRunResources } from '../run/resources.js';
import { identitySpecs, type ProcessSpec, pipelineSpecs } from '../run/services.js';
import { BENCH_USAGE, type BenchOptions, parseBenchOptions } from './options.js';
import { type BenchResult, headline, type PipelineResult, renderReport } from './report.js';
import { runStep, type StepResult, type StepTraffic } from './run-step.js';
import { nextRate, record, type SearchState } from './search.js';

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${errorMessage(error)}\n\n${BENCH_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(BENCH_USAGE);
  process.exit(0);
}

/**
 * Service settings for the benchmark: the defaults, except the allowed lateness. Simulated time runs
 * up to 86,400 times faster than the clock at 10,000 events/s (a day of 5,000 customers' traffic
 * a second), so the few milliseconds by which the load generator's concurrent sends can overtake
 * each other are minutes of event time.
 */
const tracing: Record<string, string> = { OTEL_SDK_DISABLED: options.tracing ? 'false' : 'true' };
const benchTuning = {
  features: { FEATURES_ALLOWED_LATENESS: '6h', ...tracing },
  scorer: tracing,
  decision: tracing,
  sink: tracing,
};

await runMain('bench', async () => {
  const loadBefore = loadavg();
  const servers = serversFromEnv() ?? localEnv();
  if (!serversFromEnv()) await up();
  const logger = createLogger('bench', 'error');
  const kafka = createKafka({
    brokers: servers.KAFKA_BROKERS.split(','),
    clientId: 'bench',
    logger,
    security: kafkaSecurityOf(servers),
  });
  const registry = createRegistryClient(servers.SCHEMA_REGISTRY_URL);
  const serde = createAvroSerde(registry);
  const clickhouse = createClickHouse(servers);
  const redis = new Redis(servers.REDIS_URL, { lazyConnect: true, ...redisTls(servers) });
  mkdirSync(localPath('logs'), { recursive: true });

  /** A pipeline on fresh resources: its processes, its namespace, and how to tear both down. */
  const launch = async (kind: PipelineResult['kind']) => {
    const ns = runNamespace(newRunId(`bench-${kind}`), kind === 'recsys' ? ['recsys'] : ['fraud']);
    await createRunResources({ ns, kafka, registry, clickhouse });
    const refused = await startDeadLettersReader({ kafka, serde, ns, groupId: `${ns.groupPrefix}bench-dead-letters` });
    // Each fraud service as itself, as deployed; the identity relays stand in for them as the admin.
    const principals = kind !== 'identity' ? await runPrincipals(ns, servers, { kafka, redis }) : undefined;
    const specs: ProcessSpec[] =
      kind !== 'identity'
        ? pipelineSpecs(ns, servers, { tuning: benchTuning, credentials: principals?.credentials })
        : identitySpecs(ns, servers, tracing);
    const log = join(localPath('logs'), `${ns.id}.log`);
    const lines: string[] = [];
    const pipeline: RunningPipeline = await startPipeline({
      specs,
      kafka,
      write: (l) => lines.push(l),
      colour: false,
      nodeArgs: (name) => (options.profileDir ? profileArgs(resolve(options.profileDir, kind, name)) : []),
    });
    const pids = {
      ...findServerPids(),
      ...Object.fromEntries(pipeline.services.map((s) => [s.name, s.pid])),
      bench: process.pid,
    };
    const ports = Object.fromEntries(pipeline.services.map((s) => [s.name, s.port]));
    console.log(`  ${kind}: ${ns.id} (${specs.map((s) => s.name).join(', ')}), logs in ${log}`);
    return {
      ns,
      pids,
      ports,
      stop: async () => {
        const exits = await pipeline.stop();
        for (const [reason, r] of Object.entries((await refused.stop()).byReason)) {
          console.log(`  dead letters: ${r.count} ${reason}: ${r.example}`);
        }
        writeFileSync(log, `${lines.join('\n')}\n`);
        for (const e of exits.filter((x) => !x.clean))
          console.log(`  ${e.name} did not stop cleanly (code ${e.code}, signal ${e.signal})`);
        await principals?.remove().catch(() => undefined);
        await removeRunResources({ ns, kafka, registry, clickhouse, redis }).catch((error: unknown) =>
          console.log(`  could not remove ${ns.id}: ${errorMessage(error)}`),
        );
      },
    };
  };

  const benchPipeline = async (kind: PipelineResult['kind']): Promise<PipelineResult> => {
    console.log(`\n${kind} pipeline`);
    // One event stream per pipeline: event time keeps advancing across steps, as the features need.
    const events = transactionsOnly(simulate({ seed: options.seed, startTime: Date.UTC(2025, 0, 1), days: 3_650 }));
    let current = await launch(kind);
    const step = async (rate: number, durationMs: number): Promise<StepResult> => {
      const result = await runStep({
        kafka,
        serde,
        ns: current.ns,
        events,
        rate,
        durationMs,
        settleMs: options.settleMs,
        pids: current.pids,
        ports: current.ports,
        ordered: kind === 'fraud',
      });
      printStep(result);
      if (result.drainSeconds === null) {
        console.log('  backlog did not drain: restarting the pipeline on fresh topics for the next step');
        await current.stop();
        current = await launch(kind);
      }
      return result;
    };

    await step(500, options.warmUpMs).then(() => console.log('  (warm-up, not reported)'));
    const steps: StepResult[] = [];
    let state: SearchState = { sustained: 0, failed: Number.POSITIVE_INFINITY };
    for (const rate of options.rates) {
      const result = await step(rate, options.stepMs);
      steps.push(result);
      state = record(state, rate, result.judgement.sustained);
    }
    const searched: StepResult[] = [];
    if (options.search) {
      for (let rate = nextRate(state); rate !== null && searched.length < 6; rate = nextRate(state)) {
        const result = await step(rate, options.stepMs);
        searched.push(result);
        state = record(state, rate, result.judgement.sustained);
      }
    }
    await current.stop();
    return {
      kind,
      steps,
      searched,
      maxSustained: state.sustained,
      firstFailed: Number.isFinite(state.failed) ? state.failed : null,
    };
  };

  /**
   * Recommendations: a warm-up of the simulator's interactions, requests and labels (the features'
   * state), then each step publishes only the requests that follow, at the rate in requests/s, and
   * reads their ranked lists: the request path (features → scorer → decision) at that request rate.
   */
  const benchRecsys = async (): Promise<PipelineResult> => {
    console.log('\nrecommendations pipeline');
    const events = simulateRecsys({ seed: options.seed, users: 5_000, days: 120, startTime: Date.UTC(2025, 0, 1) });
    let current = await launch('recsys');
    const topics = () => current.ns.recsys as NonNullable<typeof current.ns.recsys>;
    const warm = await streamRecsysTraffic({
      kafka,
      serde,
      topics: topics(),
      events: continuing(events),
      rate: 500,
      durationMs: options.warmUpMs,
    });
    console.log(
      `  warm-up: ${warm.interactions} interactions, ${warm.requests} requests, ${warm.labels} labels (not reported)`,
    );
    const requests = requestsOnly(events);
    const traffic = (): StepTraffic => ({
      output: topics().recommendations,
      hops: { enriched: topics().enrichedRequests, scores: topics().scores, decisions: topics().recommendations },
      publish: async (rate, durationMs, onProgress) =>
        (
          await streamRecsysTraffic({
            kafka,
            serde,
            topics: topics(),
            events: continuing(requests),
            rate,
            durationMs,
            onProgress,
          })
        ).stats,
    });
    const steps: StepResult[] = [];
    let state: SearchState = { sustained: 0, failed: Number.POSITIVE_INFINITY };
    for (const rate of options.recsysRates) {
      const result = await runStep({
        kafka,
        serde,
        ns: current.ns,
        events: [][Symbol.iterator](),
        rate,
        durationMs: options.stepMs,
        settleMs: options.settleMs,
        pids: current.pids,
        ports: current.ports,
        ordered: true,
        traffic: traffic(),
      });
      printStep(result);
      steps.push(result);
      state = record(state, rate, result.judgement.sustained);
      if (result.drainSeconds === null && rate !== options.recsysRates.at(-1)) {
        console.log('  backlog did not drain: restarting the pipeline on fresh topics for the next step');
        await current.stop();
        current = await launch('recsys');
      }
    }
    await current.stop();
    return {
      kind: 'recsys',
      steps,
      searched: [],
      maxSustained: state.sustained,
      firstFailed: Number.isFinite(state.failed) ? state.failed : null,
    };
  };

  const pipelines: PipelineResult[] = [];
  if (options.fraud) pipelines.push(await benchPipeline('fraud'));
  if (options.identity) pipelines.push(await benchPipeline('identity'));
  if (options.recsys) pipelines.push(await benchRecsys());

  const date = new Date().toISOString().slice(0, 10);
  const result: BenchResult = {
    date,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: totalmem() / 2 ** 30,
      loadBefore,
      node: process.version,
    },
    stepSeconds: options.stepMs / 1000,
    settleSeconds: options.settleMs / 1000,
    quick: options.quick,
    tracing: options.tracing,
    pipelines,
  };
  if (options.quick) {
    // Nothing written: the quick run is for comparing against the last one, not a report.
    console.log(`\n${renderReport(result, null)}`);
    redis.disconnect();
    await clickhouse.close();
    console.log(JSON.stringify(headline(result)));
    return;
  }
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const base = join(out, `bench-${date}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const chart = renderChart('latency_chart.py', `${base}.json`, `${base}.png`);
  if (!chart.ok) console.log(`chart not drawn: ${chart.reason}`);
  const report = renderReport(result, chart.ok ? `bench-${date}.png` : null);
  writeFileSync(`${base}.md`, report);
  console.log(`\n${report}\nWritten: ${base}.md, ${base}.json${chart.ok ? `, ${base}.png` : ''}`);

  redis.disconnect();
  await clickhouse.close();
  console.log(JSON.stringify(headline(result)));
});

/** The events left in a generator, without closing it when a publisher stops early. */
function continuing<T>(events: Iterator<T>): Iterable<T> {
  return { [Symbol.iterator]: () => ({ next: () => events.next() }) };
}

function* requestsOnly(events: Iterator<RecsysEvent>): Generator<RecsysEvent> {
  for (let next = events.next(); !next.done; next = events.next()) if (next.value.kind === 'request') yield next.value;
}

function* transactionsOnly(events: Iterable<SimEvent>): Generator<SimEvent> {
  for (const event of events) if (event.kind === 'transaction') yield event;
}

function printStep(s: StepResult): void {
  const l = s.latencyMs;
  const j = s.judgement;
  console.log(
    `  ${String(s.rate).padStart(6)}/s  published ${Math.round(j.publishedRate)}/s  delivered ${Math.round(j.deliveredRate)}/s  p50 ${l.p50?.toFixed(1) ?? '-'}  p99 ${l.p99?.toFixed(1) ?? '-'}  max ${l.max?.toFixed(1) ?? '-'} ms  ${j.sustained ? 'sustained' : `NOT sustained (${j.reason})`}  drain ${s.drainSeconds === null ? 'no' : `${s.drainSeconds.toFixed(1)} s`}`,
  );
  const hop = (name: string) =>
    `${name} ${s.hops[name]?.p50?.toFixed(1) ?? '-'}/${s.hops[name]?.p99?.toFixed(1) ?? '-'}`;
  console.log(
    `          p50/p99 ms at ${hop('enriched')}, ${hop('scores')}, ${hop('decisions')}; dead letters ${s.deadLetters}${s.rulesOnlyShare === null ? '' : `; on rules alone ${(100 * s.rulesOnlyShare).toFixed(1)} %`}`,
  );
  console.log(
    `          ${s.usage.map((u) => `${u.name} ${Math.round(u.cpuPercent)}%/${Math.round(u.rssMb)}M`).join('  ')}`,
  );
  console.log(`          waited for a CPU: ${formatCpuWait(s.usage) || '-'}`);
  console.log(`          Kafka requests/s: ${formatRequests(s.kafkaRequests)}`);
  const loops = Object.entries(s.eventLoops);
  if (loops.length > 0)
    console.log(
      `          event loops busy (GC): ${loops.map(([name, l]) => `${name} ${Math.round(100 * l.busy)}% (${Math.round(100 * l.gc)}%)`).join(', ')}`,
    );
  const g = s.labelGate;
  if (g)
    console.log(
      `          label gate: ${Math.round(g.roundsPerS)} rounds/s waiting ${g.meanWaitMs?.toFixed(2) ?? '-'} ms each; progress reads ${Math.round(g.progressReadsPerS)}/s, offsets lookups ${Math.round(g.offsetsLookupsPerS)}/s`,
    );
}
