import type { ServerEnv } from '@pipeline/infra/env';
import type { SimEvent } from '@pipeline/loadtest';
import type { ClickHouseClient } from '@pipeline/shared';
import { type DeadLetterStats, type DeadLettersReader, startDeadLettersReader } from '../run/dead-letters-reader.js';
import type { RunNamespace } from '../run/namespace.js';
import { type RunningPipeline, startPipeline } from '../run/pipeline.js';
import { featuresProgress, publishReplay } from '../run/replay-traffic.js';
import { createRunResources } from '../run/resources.js';
import type { RunClients } from '../run/servers.js';
import { pipelineSpecs } from '../run/services.js';

/** Waiting for the sink gives up after this long without one more stored event. */
const STALL_MS = 120_000;
const quiet = { OTEL_SDK_DISABLED: 'true' };
/**
 * Every event waits for its score however long the replay takes: a backtest asks what the rules and
 * the model decide, not what the rules alone decide when a score is late (the live budget's fallback).
 */
const NO_FALLBACK = { DECISION_SCORE_BUDGET: '10m', DECISION_CATCH_UP_BUDGET: '10m' };

export interface ReplayRun {
  transactions: number;
  labels: number;
  deadLetters: DeadLetterStats;
  seconds: number;
}

/**
 * Replays `events` through the feature service, the scorer (on `registryDir`) and the decision
 * engine (on `rulesFile`), with the sink, as processes in the run's namespace (created here), and
 * returns once every transaction has its decision and vector stored, or a dead letter. Stops the
 * services whatever happens; removing the namespace is the caller's.
 */
export async function replayThroughCandidate(options: {
  ns: RunNamespace;
  servers: ServerEnv;
  clients: RunClients;
  registryDir: string;
  rulesFile: string;
  events: readonly SimEvent[];
  transactionIds: readonly string[];
  log: { file: string; write: (line: string) => void };
  say: (text: string) => void;
  signal: AbortSignal;
}): Promise<ReplayRun> {
  const { ns, clients, say } = options;
  let pipeline: RunningPipeline | undefined;
  let letters: DeadLettersReader | undefined;
  let progress: Awaited<ReturnType<typeof featuresProgress>> | undefined;
  try {
    say(`Run ${ns.id}: topics ${ns.topics.transactions} ..., ClickHouse database ${ns.clickhouseDatabase}`);
    await createRunResources({ ns, kafka: clients.kafka, registry: clients.registry, clickhouse: clients.clickhouse });
    letters = await startDeadLettersReader({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      groupId: `${ns.groupPrefix}backtest-dead-letters`,
    });
    say(`Services features, scorer, decision, sink, each its own process (logs in ${options.log.file})`);
    pipeline = await startPipeline({
      specs: pipelineSpecs(ns, options.servers, {
        tuning: {
          features: quiet,
          scorer: { ...quiet, MODEL_REGISTRY_DIR: options.registryDir },
          decision: { ...quiet, ...NO_FALLBACK, DECISION_RULES_FILE: options.rulesFile },
          sink: quiet,
        },
        credentials: await clients.principals(),
      }),
      kafka: clients.kafka,
      write: options.log.write,
      colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
    });
    const probe = await featuresProgress(clients.kafka, ns);
    progress = probe;
    say(`Replaying ${options.events.length} events in event-time order`);
    const started = performance.now();
    const published = await publishReplay({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      events: options.events,
      speed: 'fast',
      lagCap: 0,
      consumed: () => probe.consumed(),
      signal: options.signal,
    });
    const stored = await waitForStored(clients.runClickhouse, options.transactionIds, letters, options);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  ${published.transactions} transactions, ${published.labels} labels; ${stored} decided and stored`);
    return {
      transactions: published.transactions,
      labels: published.labels,
      deadLetters: await letters.stop(),
      seconds,
    };
  } finally {
    await progress?.close().catch(() => undefined);
    if (pipeline) await pipeline.stop();
    await letters?.stop().catch(() => undefined);
  }
}

/**
 * Waits until every replayed transaction has a stored decision and vector, or a dead letter; returns
 * the events stored in both tables.
 */
async function waitForStored(
  client: ClickHouseClient,
  transactionIds: readonly string[],
  letters: DeadLettersReader,
  options: { log: { file: string }; signal: AbortSignal },
): Promise<number> {
  const began = performance.now();
  let stored = 0;
  let lastGain = performance.now();
  let lastLine = 0;
  for (;;) {
    if (options.signal.aborted) throw new Error('interrupted');
    const result = await client.query({
      query: `SELECT least((SELECT uniqExact(event_id) FROM decisions), (SELECT uniqExact(event_id) FROM transactions_enriched)) AS n`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    const now = Number(row?.n ?? 0);
    if (now > stored) lastGain = performance.now();
    stored = now;
    const refused = letters.eventIds();
    const expected = transactionIds.filter((id) => !refused.has(id)).length;
    if (stored >= expected) return stored;
    if (performance.now() - lastGain > STALL_MS) {
      throw new Error(
        `the sink stored ${stored} of ${expected} decisions and vectors and none more for ${STALL_MS / 1000} s; logs in ${options.log.file}`,
      );
    }
    if (performance.now() - lastLine > 5_000) {
      lastLine = performance.now();
      console.log(
        `  ${((performance.now() - began) / 1000).toFixed(0).padStart(5)} s  decided and stored ${stored} of ${expected}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
