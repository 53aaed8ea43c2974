// `npm run bench:api`: p50/p99 of the decision API at constant arrival rates, with the whole pipeline running.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCredentials } from '@pipeline/e2e/src/processes/credentials.js';
import { formatRequests, startRequestWindow } from '@pipeline/e2e/src/processes/kafka-requests.js';
import { freePort, profileArgs } from '@pipeline/e2e/src/processes/service-process.js';
import { findServerPids, formatCpuWait, startUsageWindow } from '@pipeline/e2e/src/processes/usage.js';
import { startDeadLettersReader } from '@pipeline/e2e/src/run/dead-letters-reader.js';
import { newRunId, runNamespace } from '@pipeline/e2e/src/run/namespace.js';
import { startPipeline } from '@pipeline/e2e/src/run/pipeline.js';
import { createRunResources, removeRunResources } from '@pipeline/e2e/src/run/resources.js';
import { type ProcessSpec, pipelineSpecs, serviceEnv } from '@pipeline/e2e/src/run/services.js';
import { localEnv, localPath, serversFromEnv, up } from '@pipeline/infra';
import { type SimEvent, simulate } from '@pipeline/loadtest';
import {
  type AvroSerde,
  createAvroSerde,
  createClickHouse,
  createKafka,
  createLogger,
  createRegistryClient,
  errorMessage,
  type Kafka,
  kafkaSecurityOf,
  parseDuration,
  redisTls,
  runMain,
} from '@pipeline/shared';
import { type Decision, schemaFor, type Transaction } from '@pipeline/topology';
import { Redis } from 'ioredis';
import { runOpenLoop, type StepResult } from './open-loop.js';

const USAGE = `npm run bench:api -- [--rates 200,500,1000] [--duration 30s] [--warmup 3s] [--warm-up 15s]
                         [--deadline 100] [--seed 7] [--profile <dir>]

Starts the pipeline (features, scorer, decision, sink) and the API as processes on a namespace of
its own, then posts transactions to the API at each constant rate (open loop, latency from each
request's intended send time). Before the steps, --warm-up of requests at the lowest rate, not
reported: the services' first seconds (compilation, connections, the model's first runs) are not
the steady state the steps measure; --warmup leaves out each step's own first seconds. --profile:
each process writes CPU and allocation profiles into <dir>/<name> when it stops. Last line: {"bench":"api","p99_ms_at_500":...,"steps":[...]}.`;

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,500,1000' },
    duration: { type: 'string', default: '30s' },
    warmup: { type: 'string', default: '3s' },
    'warm-up': { type: 'string', default: '15s' },
    deadline: { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const rates = args.rates.split(',').map(Number);
const durationMs = parseDuration(args.duration);
const warmupMs = parseDuration(args.warmup);
const warmUpMs = parseDuration(args['warm-up']);
const deadlineMs = Number(args.deadline);
if (
  rates.some((r) => !(r > 0)) ||
  durationMs === undefined ||
  warmupMs === undefined ||
  warmUpMs === undefined ||
  !(deadlineMs > 0)
) {
  console.error(`bench:api: bad arguments\n\n${USAGE}`);
  process.exit(2);
}

const apiEntry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

await runMain('bench-api', async () => {
  const servers = serversFromEnv() ?? localEnv();
  if (!serversFromEnv()) await up();
  const logger = createLogger('bench-api', 'error');
  const kafka = createKafka({
    brokers: servers.KAFKA_BROKERS.split(','),
    clientId: 'bench-api',
    logger,
    security: kafkaSecurityOf(servers),
  });
  const registry = createRegistryClient(servers.SCHEMA_REGISTRY_URL);
  const clickhouse = createClickHouse(servers);
  const redis = new Redis(servers.REDIS_URL, { lazyConnect: true, ...redisTls(servers) });
  const ns = runNamespace(newRunId('bench-api'));
  mkdirSync(localPath('logs'), { recursive: true });
  const log = join(localPath('logs'), `${ns.id}.log`);
  const lines: string[] = [];

  console.log(`bench:api on ${ns.id}: pipeline and API as processes (logs in ${log})`);
  await createRunResources({ ns, kafka, registry, clickhouse });
  const tracing = { OTEL_SDK_DISABLED: 'true' };
  const apiPort = await freePort();
  const decisionEnv = serviceEnv('decision', ns, servers);
  const apiSpec: ProcessSpec = {
    name: 'api',
    entry: apiEntry,
    env: {
      ...servers,
      ...tracing,
      SERVICE_NAME: 'api',
      LOG_LEVEL: 'info',
      API_PORT: String(apiPort),
      API_DEADLINE_DEFAULT: String(deadlineMs),
      API_REDIS_PREFIX: `${ns.redisPrefix}api:`,
      API_GROUP_PREFIX: `${ns.groupPrefix}api`,
      API_TRANSACTIONS_TOPIC: ns.topics.transactions,
      API_ENRICHED_TOPIC: ns.topics.enriched,
      API_DECISIONS_TOPIC: ns.topics.decisions,
      API_DEAD_LETTER_TOPIC: ns.topics.deadLetters,
      API_AUDIT_TOPIC: ns.topics.audit,
      // The engine's marker keys: the API's fallback claims go where the engine looks.
      DECISION_REDIS_PREFIX: decisionEnv.DECISION_REDIS_PREFIX as string,
    },
    groups: [],
  };
  const specs = [
    ...pipelineSpecs(ns, servers, {
      // Simulated time runs far faster than the clock: requests in flight together may overtake each other by minutes.
      tuning: {
        features: { FEATURES_ALLOWED_LATENESS: '6h', ...tracing },
        scorer: tracing,
        decision: tracing,
        sink: tracing,
      },
    }),
    apiSpec,
  ];
  const profileDir = args.profile;
  const pipeline = await startPipeline({
    specs,
    kafka,
    write: (l) => lines.push(l),
    colour: false,
    nodeArgs: (name) => (profileDir ? profileArgs(resolve(profileDir, name)) : []),
  });
  const results: StepResult[] = [];
  // Every answer against the decisions topic: the API's fallback claims the engine's marker, so the
  // decision the pipeline emits for an event must be the one answered.
  const answered = new Map<string, Decision>();
  const serde = createAvroSerde(registry);
  // Read once the steps are over, from the start: reading along would put its CPU into the figures.
  let onTopic: Awaited<ReturnType<typeof readDecisions>> | undefined;
  // An answered event the pipeline refused (late, under overload) has no decision on the topic.
  const deadLetters = await startDeadLettersReader({
    kafka,
    serde,
    ns,
    groupId: `${ns.groupPrefix}bench-dead-letters`,
  });
  let check: TopicCheck;
  try {
    const events = transactions(simulate({ seed: Number(args.seed), startTime: Date.UTC(2025, 0, 1), days: 3_650 }));
    const next = () => {
      const event = events.next();
      if (event.done) throw new Error('the simulator ran out of transactions');
      return event.value;
    };
    const openLoop = (rate: number, ms: number, leftOutMs: number) =>
      runOpenLoop({
        url: `http://127.0.0.1:${apiPort}`,
        token: runCredentials().token,
        rate,
        durationMs: ms,
        warmupMs: leftOutMs,
        deadlineMs,
        next,
        onDecision: (d) => answered.set(d.event_id, d),
      });
    if (warmUpMs > 0) {
      const rate = Math.min(...rates);
      const warm = await openLoop(rate, warmUpMs, warmUpMs);
      console.log(`\n   warm-up: ${warm.sent} requests at ${rate}/s (not reported)`);
    }
    console.log('\n   rate/s   sent/s   counted   non-200   deadline passed    p50 ms    p99 ms    max ms');
    const pids = {
      ...findServerPids(),
      ...Object.fromEntries(pipeline.services.map((s) => [s.name, s.pid])),
      'bench-api': process.pid,
    };
    const ports = Object.fromEntries(pipeline.services.map((s) => [s.name, s.port]));
    for (const rate of rates) {
      const usage = startUsageWindow(pids);
      const requests = await startRequestWindow(ports);
      const step = await openLoop(rate, durationMs, warmupMs);
      results.push(step);
      const l = step.latencyMs;
      const non200 = step.counted - (step.statuses[200] ?? 0);
      console.log(
        `   ${String(rate).padStart(6)}   ${step.achievedRate.toFixed(0).padStart(6)}   ${String(step.counted).padStart(7)}   ${String(non200).padStart(7)}   ${String(step.deadlineExceeded).padStart(15)}   ${fmt(l.p50)}   ${fmt(l.p99)}   ${fmt(l.max)}`,
      );
      if (non200 > 0) console.log(`     statuses: ${JSON.stringify(step.statuses)}`);
      const [u, d] = [step.untilDecidedMs, step.decidedToAnsweredMs];
      console.log(
        `     answers from the pipeline in time, p50/p99 ms: sent → decided ${fmt(u.p50).trim()} / ${fmt(u.p99).trim()}, decided → answered ${fmt(d.p50).trim()} / ${fmt(d.p99).trim()}`,
      );
      const cpu = usage.end();
      console.log(`     CPU (% of one core): ${cpu.map((u) => `${u.name} ${Math.round(u.cpuPercent)}%`).join('  ')}`);
      console.log(`     waited for a CPU (% of one core): ${formatCpuWait(cpu)}`);
      console.log(`     Kafka requests/s: ${formatRequests(await requests.end())}`);
    }
    onTopic = await readDecisions(kafka, serde, ns.topics, `${ns.groupPrefix}bench-reader`);
    check = await onTopic.compare(answered, deadLetters.eventIds());
    console.log(
      `\n   answers checked against the decisions topic: ${check.found} of ${check.answered} found there (${check.foundDeadLettered} of them dead-lettered by the pipeline and emitted by the API); of the others ${check.deadLettered} dead-lettered, ${check.transactionMissing} without their transaction on its topic; ${check.differing} different, ${check.duplicates} decided again (${check.differingDuplicates} of them differently), ${check.transactionsTwice} transactions on their topic twice`,
    );
    for (const [reason, { count, example }] of Object.entries(deadLetters.stats().byReason)) {
      console.log(`   dead letters: ${count} ${reason}, e.g. "${example}"`);
    }
  } finally {
    await deadLetters.stop();
    await onTopic?.stop();
    const exits = await pipeline.stop();
    for (const e of exits.filter((x) => !x.clean)) console.log(`  ${e.name} did not stop cleanly (code ${e.code})`);
    writeFileSync(log, `${lines.join('\n')}\n`);
    await removeRunResources({ ns, kafka, registry, clickhouse, redis }).catch((error: unknown) =>
      console.log(`  could not remove ${ns.id}: ${errorMessage(error)}`),
    );
    redis.disconnect();
    await clickhouse.close();
  }
  const at500 = results.find((r) => r.rate === 500);
  console.log(
    JSON.stringify({
      bench: 'api',
      p99_ms_at_500: at500?.latencyMs.p99 ?? null,
      deadline_ms: deadlineMs,
      duration_ms: durationMs,
      topic_check: check,
      steps: results.map((r) => ({
        rate: r.rate,
        achieved_rate: Math.round(r.achievedRate),
        counted: r.counted,
        statuses: r.statuses,
        deadline_exceeded: r.deadlineExceeded,
        p50_ms: r.latencyMs.p50,
        p99_ms: r.latencyMs.p99,
        max_ms: r.latencyMs.max,
        until_decided_ms: { p50: r.untilDecidedMs.p50, p99: r.untilDecidedMs.p99 },
        decided_to_answered_ms: { p50: r.decidedToAnsweredMs.p50, p99: r.decidedToAnsweredMs.p99 },
      })),
    }),
  );
});

/** A decision as text with its keys in order, so equal decisions compare equal whoever built them. */
function canonical(decision: Decision): string {
  return JSON.stringify(decision, Object.keys(decision).sort());
}

type TopicCheck = Awaited<ReturnType<Awaited<ReturnType<typeof readDecisions>>['compare']>>;

/**
 * Reads the run's decisions and transactions topics from their start; `compare` waits for the
 * answered events' decisions to be there, while decisions still come. Counts events decided more
 * than once, and transactions on the topic more than once (a producer retry writes a message again).
 */
async function readDecisions(
  kafka: Kafka,
  serde: AvroSerde,
  topics: { decisions: string; transactions: string },
  groupId: string,
) {
  const decoder = serde.decoder<Decision>(schemaFor('fraud/decision').type);
  const txDecoder = serde.decoder<Transaction>(schemaFor('fraud/transaction').type);
  const seen = new Map<string, string>();
  const produced = new Set<string>();
  let duplicates = 0;
  let differingDuplicates = 0;
  let transactionsTwice = 0;
  let lastDecisionAt = Date.now();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.decisions, topics.transactions], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (batch.topic === topics.transactions) {
        await txDecoder.prepare(batch.messages.map((m) => m.value));
        for (const m of batch.messages) {
          const id = txDecoder.decode(m.value).event_id;
          if (produced.has(id)) transactionsTwice++;
          produced.add(id);
        }
        return;
      }
      await decoder.prepare(batch.messages.map((m) => m.value));
      lastDecisionAt = Date.now();
      for (const m of batch.messages) {
        const d = decoder.decode(m.value);
        const text = canonical(d);
        const before = seen.get(d.event_id);
        if (before === undefined) seen.set(d.event_id, text);
        else {
          duplicates++;
          if (before !== text) differingDuplicates++;
        }
      }
    },
  });
  return {
    async compare(answers: Map<string, Decision>, deadLettered: ReadonlySet<string>) {
      // A pipeline behind the offered rate decides the rest after the last request: wait while
      // decisions still come, up to 15 s after the last one.
      while (Date.now() - lastDecisionAt < 15_000 && [...answers.keys()].some((id) => !seen.has(id))) {
        await new Promise((r) => setTimeout(r, 200));
      }
      let found = 0;
      let foundDeadLettered = 0;
      let deadLetteredAnswers = 0;
      let transactionMissing = 0;
      let differing = 0;
      for (const [id, decision] of answers) {
        const there = seen.get(id);
        if (there === undefined) {
          if (deadLettered.has(id)) deadLetteredAnswers++;
          else if (!produced.has(id)) transactionMissing++;
          continue;
        }
        found++;
        // The pipeline dead-lettered it, so the API emitted its answered fallback.
        if (deadLettered.has(id)) foundDeadLettered++;
        if (there !== canonical(decision)) differing++;
      }
      return {
        answered: answers.size,
        found,
        foundDeadLettered,
        deadLettered: deadLetteredAnswers,
        transactionMissing,
        differing,
        duplicates,
        differingDuplicates,
        transactionsTwice,
      };
    },
    stop: () => consumer.disconnect(),
  };
}

function fmt(ms: number | null): string {
  return (ms === null ? '-' : ms.toFixed(1)).padStart(7);
}

function* transactions(events: Iterable<SimEvent>): Generator<Transaction> {
  for (const event of events) if (event.kind === 'transaction') yield event.value;
}
