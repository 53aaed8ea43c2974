// `npm run backtest`: replay stored history through the pipeline with a candidate's rules and model,
// and compare it with production's decisions and logged vectors (see BACKTEST_USAGE and e2e/README.md).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fraudFeatureSet, reachMs } from '@pipeline/feature-sets';
import { type ClickHouseClient, createClickHouse, errorMessage, runMain } from '@pipeline/shared';
import { renderChart } from '../run/chart.js';
import { type DeadLettersReader, startDeadLettersReader } from '../run/dead-letters-reader.js';
import { runLog } from '../run/log-file.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { type RunningPipeline, startPipeline } from '../run/pipeline.js';
import { featuresProgress, publishReplay } from '../run/replay-traffic.js';
import { createRunResources } from '../run/resources.js';
import { runClients, runServers } from '../run/servers.js';
import { pipelineSpecs } from '../run/services.js';
import { createTally } from '../vectors/compare.js';
import { type LoggedVector, readLoggedVectors } from '../vectors/logged-vectors.js';
import { BacktestInputError, candidateModel, candidateRegistry, loadCandidateRules } from './candidate.js';
import { compareDecisions, type EventOutcome } from './compare.js';
import { completeInputs } from './inputs.js';
import { BACKTEST_USAGE, type BacktestOptions, parseBacktestOptions } from './options.js';
import { type BacktestResult, consistent, headline, renderReport } from './report.js';
import { historyBefore, readDecisions, readHistory, readNewestLabels, type StoredDecision } from './stored.js';

let options: BacktestOptions;
try {
  options = parseBacktestOptions(process.argv.slice(2));
} catch (error) {
  console.error(`backtest: ${errorMessage(error)}\n\n${BACKTEST_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(BACKTEST_USAGE);
  process.exit(0);
}

/** Waiting for the sink gives up after this long without one more stored decision. */
const STALL_MS = 120_000;
const set = fraudFeatureSet;
const quiet = { OTEL_SDK_DISABLED: 'true' };
/**
 * Every event waits for its score however long the replay takes: a backtest asks what the rules and
 * the model decide, not what the rules alone decide when a score is late (the live budget's fallback).
 */
const NO_FALLBACK = { DECISION_SCORE_BUDGET: '10m', DECISION_CATCH_UP_BUDGET: '10m' };

const began = performance.now();
const seconds = () => (performance.now() - began) / 1000;
const say = (text: string) => console.log(`\n\u25b6 ${text}  [${seconds().toFixed(1)} s]`);
const abort = new AbortController();
process.on('SIGINT', () => abort.abort());
process.on('SIGTERM', () => abort.abort());

await runMain('backtest', async () => {
  process.exitCode = await backtest(options);
});

/** The one model production's decisions in the range were made with; refuses none or several. */
function productionModel(decisions: ReadonlyMap<string, StoredDecision>, database: string): string {
  const models = new Set([...decisions.values()].flatMap((d) => (d.model ? [d.model] : [])));
  if (models.size === 1) return [...models][0] as string;
  throw new BacktestInputError(
    models.size === 0
      ? `no decision in the range of database ${database} was made with a model: give the candidate's as --model`
      : `production's decisions in the range were made with ${[...models].join(', ')}: give the candidate's as --model`,
  );
}

async function vectorsOf(client: ClickHouseClient, fromMs: number, toMs: number, ids: ReadonlySet<string>) {
  const out = new Map<string, LoggedVector>();
  // readLoggedVectors cuts by whole seconds: a second more, then the range by id.
  for await (const v of readLoggedVectors(client, fromMs, toMs + 1000)) if (ids.has(v.eventId)) out.set(v.eventId, v);
  return out;
}

async function backtest(opts: BacktestOptions): Promise<number> {
  let rules: ReturnType<typeof loadCandidateRules>;
  try {
    rules = loadCandidateRules(opts.rules);
    if (opts.model) await candidateModel(opts.model);
  } catch (error) {
    console.error(`backtest: ${errorMessage(error)}`);
    return 2;
  }
  const reach = reachMs(set);
  const warmupStartMs = opts.fromMs - reach;
  const ns = runNamespace(newRunId('backtest'));
  const log = runLog(ns, opts.verbose);
  const { servers, started: startedServers, stop: stopServers } = await runServers(say);
  const clients = runClients('backtest', servers, ns);
  const production = createClickHouse(servers.CLICKHOUSE_URL, opts.database);
  const work = mkdtempSync(join(tmpdir(), 'backtest-'));
  let pipeline: RunningPipeline | undefined;
  let letters: DeadLettersReader | undefined;
  let progress: Awaited<ReturnType<typeof featuresProgress>> | undefined;
  let code = 1;
  let last: string | undefined;
  try {
    say(`Reading production's history from ClickHouse database ${opts.database}`);
    let productionDecisions: Map<string, StoredDecision>;
    let history: Awaited<ReturnType<typeof readHistory>>;
    let before: Awaited<ReturnType<typeof historyBefore>>;
    try {
      [productionDecisions, history, before] = await Promise.all([
        readDecisions(production, opts.fromMs, opts.toMs),
        readHistory(production, warmupStartMs, opts.toMs),
        historyBefore(production, warmupStartMs),
      ]);
    } catch (error) {
      throw new BacktestInputError(
        `cannot read production's tables in database ${opts.database}: ${errorMessage(error)}`,
      );
    }
    const inRange = history.transactions.filter((t) => t.timeMs >= opts.fromMs && t.timeMs < opts.toMs);
    if (inRange.length === 0 || before.historyStartMs === null) {
      throw new BacktestInputError(
        `database ${opts.database} holds no transaction between ${new Date(opts.fromMs).toISOString()} and ${new Date(opts.toMs).toISOString()}`,
      );
    }
    const model = opts.model ?? productionModel(productionDecisions, opts.database);
    const ids = new Set(inRange.map((t) => t.eventId));
    console.log(
      `  ${history.transactions.length} transactions (${inRange.length} in the range) and ${history.labels} labels from ${new Date(warmupStartMs).toISOString()}; candidate: rules ${rules.version}, model ${model}`,
    );

    const registryDir = await candidateRegistry(model, join(work, 'models'));
    const rulesFile = join(work, 'rules.yaml');
    // A copy: the engine hot-reloads its file, and the candidate must not change under the run.
    writeFileSync(rulesFile, rules.text);

    say(`Run ${ns.id}: topics ${ns.topics.transactions} ..., ClickHouse database ${ns.clickhouseDatabase}`);
    await createRunResources({ ns, kafka: clients.kafka, registry: clients.registry, clickhouse: clients.clickhouse });
    letters = await startDeadLettersReader({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      groupId: `${ns.groupPrefix}backtest-dead-letters`,
    });
    say(`Services features, scorer, decision, sink, each its own process (logs in ${log.file})`);
    pipeline = await startPipeline({
      specs: pipelineSpecs(ns, servers, {
        tuning: {
          features: quiet,
          scorer: { ...quiet, MODEL_REGISTRY_DIR: registryDir },
          decision: { ...quiet, ...NO_FALLBACK, DECISION_RULES_FILE: rulesFile },
          sink: quiet,
        },
      }),
      kafka: clients.kafka,
      write: log.write,
      colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
    });
    progress = await featuresProgress(clients.kafka, ns);
    const probe = progress;
    say(`Replaying ${history.events.length} events in event-time order`);
    const replayStarted = performance.now();
    const published = await publishReplay({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      events: history.events,
      speed: 'fast',
      lagCap: 0,
      consumed: () => probe.consumed(),
      signal: abort.signal,
    });
    const stored = await waitForDecisions(clients.runClickhouse, history.transactions, letters, log.file);
    const replaySeconds = (performance.now() - replayStarted) / 1000;
    console.log(`  ${published.transactions} transactions, ${published.labels} labels; ${stored} decisions stored`);
    await probe.close();
    progress = undefined;
    await pipeline.stop();
    pipeline = undefined;
    const deadLetters = await letters.stop();
    letters = undefined;

    say('Comparing candidate and production event by event');
    const [candidateDecisions, labels, productionVectors, candidateVectors] = await Promise.all([
      readDecisions(clients.runClickhouse, opts.fromMs, opts.toMs),
      readNewestLabels(production, opts.fromMs, opts.toMs),
      vectorsOf(production, opts.fromMs, opts.toMs, ids),
      vectorsOf(clients.runClickhouse, opts.fromMs, opts.toMs, ids),
    ]);
    const outcomes: EventOutcome[] = inRange.map((t) => ({
      eventId: t.eventId,
      amountMinor: history.amounts.get(t.eventId) ?? 0,
      fraud: labels.get(t.eventId) ?? null,
      production: productionDecisions.get(t.eventId) ?? null,
      candidate: candidateDecisions.get(t.eventId) ?? null,
    }));
    const decisions = compareDecisions(outcomes, rules.ruleIds);
    const complete = completeInputs(
      history.transactions,
      { reachMs: reach, historyStartMs: before.historyStartMs, customersBefore: before.customersBefore },
      opts.fromMs,
      opts.toMs,
    );
    const tallies = { complete: createTally(set, { examples: 5 }), all: createTally(set, { examples: 5 }) };
    for (const t of inRange) {
      const logged = productionVectors.get(t.eventId);
      const replayed = candidateVectors.get(t.eventId);
      const targets = complete.has(t.eventId) ? [tallies.complete, tallies.all] : [tallies.all];
      for (const tally of targets) {
        if (!logged) continue; // production never logged it: nothing to hold the replay to
        if (!replayed) tally.missing(t.eventId);
        else if (logged.featureSet !== set.name || logged.version !== set.version) tally.otherSet();
        else tally.add(t.eventId, replayed.values, logged.values);
      }
    }

    const date = new Date().toISOString().slice(0, 10);
    const file = resolve(opts.out ?? join('reports', `backtest-${date}.md`));
    const base = file.replace(/\.md$/, '');
    mkdirSync(dirname(file), { recursive: true });
    const result: BacktestResult = {
      date,
      run: ns.id,
      command: `npm run backtest -- ${process.argv.slice(2).join(' ')}`.trim(),
      database: opts.database,
      range: {
        fromMs: opts.fromMs,
        toMs: opts.toMs,
        warmupStartMs,
        reachMs: reach,
        historyStartMs: before.historyStartMs,
      },
      candidate: { rulesFile: rules.file, rulesVersion: rules.version, model },
      production: {
        ruleSetVersions: [...new Set([...productionDecisions.values()].map((d) => d.ruleSetVersion))].sort(),
        models: [...new Set([...productionDecisions.values()].flatMap((d) => (d.model ? [d.model] : [])))].sort(),
      },
      replayed: {
        transactions: published.transactions,
        labels: published.labels,
        secondsOnly: history.transactions.filter((t) => t.secondsOnly).length,
        deadLetters: Object.fromEntries(Object.entries(deadLetters.byReason).map(([r, v]) => [r, v.count])),
        seconds: replaySeconds,
      },
      decisions,
      consistency: { complete: tallies.complete.result(), all: tallies.all.result() },
      chart: null,
      wallSeconds: 0,
      peakRssMb: 0,
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    writeFileSync(
      `${base}.json`,
      JSON.stringify({ ...result, range: { ...result.range, from: iso(opts.fromMs), to: iso(opts.toMs) } }, null, 2),
    );
    const chart = renderChart('backtest_chart.py', `${base}.json`, `${base}.png`);
    if (chart.ok) result.chart = relative(dirname(file), `${base}.png`);
    else console.log(`  no chart: ${chart.reason}`);
    result.wallSeconds = seconds();
    result.peakRssMb = process.resourceUsage().maxRSS / 1024;
    const report = renderReport(result);
    writeFileSync(file, report);
    say('Report');
    console.log(`\n${report}\nWritten: ${file}`);
    last = JSON.stringify(headline(result));
    code = consistent(result) ? 0 : 1;
  } catch (error) {
    if (error instanceof BacktestInputError) {
      console.error(`backtest: ${error.message}`);
      code = 2;
    } else console.error(`\nbacktest failed: ${errorMessage(error)}`);
  } finally {
    await progress?.close().catch(() => undefined);
    if (pipeline) await pipeline.stop();
    await letters?.stop().catch(() => undefined);
    if (!opts.keep) await clients.removeRun();
    await clients.close();
    await production.close();
    rmSync(work, { recursive: true, force: true });
    log.end();
    if (startedServers.length > 0 && !opts.keep) await stopServers(console.log);
  }
  // The figures last, after any cleanup output, for whoever compares runs.
  if (last) console.log(last);
  return code;
}

/**
 * Waits until every replayed transaction has a stored decision and vector, or a dead letter; returns
 * the events stored in both tables.
 */
async function waitForDecisions(
  client: ClickHouseClient,
  transactions: readonly { eventId: string }[],
  letters: DeadLettersReader,
  logFile: string,
): Promise<number> {
  let stored = 0;
  let lastGain = performance.now();
  let lastLine = 0;
  for (;;) {
    if (abort.signal.aborted) throw new Error('interrupted');
    const result = await client.query({
      query: 'SELECT uniqExact(event_id) AS n FROM decisions',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    const now = Number(row?.n ?? 0);
    if (now > stored) lastGain = performance.now();
    stored = now;
    const refused = letters.eventIds();
    const expected = transactions.filter((t) => !refused.has(t.eventId)).length;
    if (stored >= expected) return stored;
    if (performance.now() - lastGain > STALL_MS) {
      throw new Error(
        `the sink stored ${stored} of ${expected} decisions and vectors and none more for ${STALL_MS / 1000} s; logs in ${logFile}`,
      );
    }
    if (performance.now() - lastLine > 5_000) {
      lastLine = performance.now();
      console.log(`  ${seconds().toFixed(0).padStart(5)} s  decisions and vectors stored ${stored} of ${expected}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
