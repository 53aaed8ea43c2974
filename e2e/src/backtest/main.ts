// `npm run backtest`: replay stored history through the pipeline with a candidate's rules and model,
// and compare it with production's decisions and logged vectors (see BACKTEST_USAGE and e2e/README.md).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fraudFeatureSet, reachMs } from '@pipeline/feature-sets';
import {
  type ClickHouseClient,
  createClickHouse,
  createTokenizer,
  errorMessage,
  parseKeyRing,
  runMain,
} from '@pipeline/shared';
import { renderChart } from '../run/chart.js';
import { runLog } from '../run/log-file.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { type RunClients, runClients, runServers } from '../run/servers.js';
import { runKeyRing } from '../run/services.js';
import { type LoggedVector, readLoggedVectors } from '../vectors/logged-vectors.js';
import { BacktestInputError, candidateModel, candidateRegistry, loadCandidateRules } from './candidate.js';
import { compareDecisions, type EventOutcome } from './compare.js';
import { tallyConsistency } from './consistency.js';
import { completeInputs } from './inputs.js';
import { type KafkaHistory, readKafkaHistory, refusedMessages } from './kafka-history.js';
import { BACKTEST_USAGE, type BacktestOptions, parseBacktestOptions } from './options.js';
import { replayThroughCandidate } from './replay-run.js';
import { type BacktestResult, consistent, headline, renderReport } from './report.js';
import { historyOf, mergeSources, mismatchMessage, newestLabels, seamFor } from './sources.js';
import { historyBefore, readDecisions, readNewestLabels, readStoredRecords, type StoredDecision } from './stored.js';

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

const set = fraudFeatureSet;
const began = performance.now();
const seconds = () => (performance.now() - began) / 1000;
const say = (text: string) => console.log(`\n\u25b6 ${text}  [${seconds().toFixed(1)} s]`);
const iso = (ms: number) => new Date(ms).toISOString();
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

/** Production's transactions and labels as its Kafka topics still hold them; null with --source clickhouse. */
async function readKafka(
  clients: RunClients,
  production: ClickHouseClient,
  opts: BacktestOptions,
  ns: { groupPrefix: string },
  warmupStartMs: number,
): Promise<KafkaHistory | null> {
  if (opts.source === 'clickhouse') return null;
  say(`Reading production's topics ${opts.transactionsTopic} and ${opts.labelsTopic} from Kafka`);
  let refused: Set<string>;
  try {
    refused = await refusedMessages(production, [opts.transactionsTopic, opts.labelsTopic]);
  } catch (error) {
    throw new BacktestInputError(
      `cannot read production's tables in database ${opts.database}: ${errorMessage(error)}`,
    );
  }
  try {
    return await readKafkaHistory({
      kafka: clients.kafka,
      serde: clients.serde,
      refused,
      topics: { transactions: opts.transactionsTopic, labels: opts.labelsTopic },
      groupPrefix: ns.groupPrefix,
      fromMs: warmupStartMs,
      rangeFromMs: opts.fromMs,
      toMs: opts.toMs,
      // The sink's ring: Kafka holds raw ids, ClickHouse their tokens.
      tokens: createTokenizer(parseKeyRing(runKeyRing())),
    });
  } catch (error) {
    if (error instanceof BacktestInputError) {
      throw new BacktestInputError(
        `${error.message} (name production's topics with --transactions-topic and --labels-topic, or read ClickHouse alone with --source clickhouse)`,
      );
    }
    throw error;
  }
}

/**
 * Production's side: its history from a reach before the range (Kafka's part, then ClickHouse's
 * before it), its decisions, what it stored before.
 */
async function readProduction(
  client: ClickHouseClient,
  opts: BacktestOptions,
  warmupStartMs: number,
  kafka: KafkaHistory | null,
) {
  const seams = {
    transactions: seamFor(opts.source, kafka?.transactions.coverageMs ?? null, warmupStartMs, opts.toMs),
    labels: seamFor(opts.source, kafka?.labels.coverageMs ?? null, warmupStartMs, opts.toMs),
  };
  try {
    const [decisions, stored, before] = await Promise.all([
      readDecisions(client, opts.fromMs, opts.toMs),
      readStoredRecords(client, warmupStartMs, opts.toMs, {
        transactionsMs: seams.transactions.clickhouseBeforeMs,
        labelsMs: seams.labels.clickhouseBeforeMs,
      }),
      historyBefore(client, warmupStartMs),
    ]);
    return { decisions, stored, before, seams };
  } catch (error) {
    throw new BacktestInputError(
      `cannot read production's tables in database ${opts.database}: ${errorMessage(error)}`,
    );
  }
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
  const production = createClickHouse(servers, opts.database);
  const work = mkdtempSync(join(tmpdir(), 'backtest-'));
  let code = 1;
  let last: string | undefined;
  try {
    const kafka = await readKafka(clients, production, opts, ns, warmupStartMs);
    say(`Reading production's history from ClickHouse database ${opts.database}`);
    const {
      decisions: productionDecisions,
      stored: storedRecords,
      before,
      seams,
    } = await readProduction(production, opts, warmupStartMs, kafka);
    const merged = mergeSources({
      fromMs: warmupStartMs,
      toMs: opts.toMs,
      seams,
      kafka: { transactions: kafka?.transactions.records ?? [], labels: kafka?.labels.records ?? [] },
      clickhouse: storedRecords,
    });
    const mismatch = mismatchMessage(merged);
    if (mismatch) throw new BacktestInputError(mismatch);
    const history = historyOf(merged.transactions, merged.labels);
    const kafkaUsed = Number.isFinite(seams.transactions.kafkaFromMs);
    // From when the replayed history holds every transaction: ClickHouse's first, or Kafka's
    // coverage where ClickHouse's part is not read.
    const kafkaStart = kafka?.transactions.coverageMs ?? null;
    const historyStartMs =
      opts.source === 'kafka'
        ? kafkaStart
        : kafkaUsed && kafkaStart !== null
          ? Math.min(before.historyStartMs ?? kafkaStart, kafkaStart)
          : before.historyStartMs;
    const customersBefore = new Set(before.customersBefore);
    for (const t of kafka?.transactions.records ?? [])
      if (t.event_time < warmupStartMs) customersBefore.add(t.customer_id);
    const inRange = history.transactions.filter((t) => t.timeMs >= opts.fromMs && t.timeMs < opts.toMs);
    const where =
      opts.source === 'clickhouse'
        ? `database ${opts.database}`
        : opts.source === 'kafka'
          ? `Kafka topic ${opts.transactionsTopic}`
          : `database ${opts.database} or Kafka topic ${opts.transactionsTopic}`;
    if (inRange.length === 0 || historyStartMs === null) {
      throw new BacktestInputError(`${where} holds no transaction between ${iso(opts.fromMs)} and ${iso(opts.toMs)}`);
    }
    const counts = merged.counts;
    console.log(
      `  transactions: ${counts.transactions.kafka} from Kafka, ${counts.transactions.clickhouse} from ClickHouse (${counts.transactions.both} held by both, taken once); labels: ${counts.labels.kafka} from Kafka, ${counts.labels.clickhouse} from ClickHouse (${counts.labels.both} in both)`,
    );
    const model = opts.model ?? productionModel(productionDecisions, opts.database);
    console.log(
      `  ${history.transactions.length} transactions (${inRange.length} in the range) and ${history.labels} labels from ${iso(warmupStartMs)}; candidate: rules ${rules.version}, model ${model}`,
    );
    const registryDir = await candidateRegistry(model, join(work, 'models'));
    const rulesFile = join(work, 'rules.yaml');
    // A copy: the engine hot-reloads its file, and the candidate must not change under the run.
    writeFileSync(rulesFile, rules.text);

    const replay = await replayThroughCandidate({
      ns,
      servers,
      clients,
      registryDir,
      rulesFile,
      events: history.events,
      transactionIds: history.transactions.map((t) => t.eventId),
      log,
      say,
      signal: abort.signal,
    });

    say('Comparing candidate and production event by event');
    const ids = new Set(inRange.map((t) => t.eventId));
    const [candidateDecisions, labels, productionVectors, candidateVectors] = await Promise.all([
      readDecisions(clients.runClickhouse, opts.fromMs, opts.toMs),
      readNewestLabels(production, opts.fromMs, opts.toMs).then((stored) =>
        newestLabels(stored, kafka?.labels.records ?? [], opts.fromMs, opts.toMs),
      ),
      vectorsOf(production, opts.fromMs, opts.toMs, ids),
      vectorsOf(clients.runClickhouse, opts.fromMs, opts.toMs, ids),
    ]);
    const outcomes: EventOutcome[] = inRange.map((t) => ({
      eventId: t.eventId,
      amountMinor: history.amounts.get(t.eventId) ?? 0,
      fraud: labels.get(t.eventId)?.fraud ?? null,
      production: productionDecisions.get(t.eventId) ?? null,
      candidate: candidateDecisions.get(t.eventId) ?? null,
    }));
    const complete = completeInputs(
      history.transactions,
      { reachMs: reach, historyStartMs, customersBefore },
      opts.fromMs,
      opts.toMs,
    );
    const stored = [...productionDecisions.values()];
    const result: BacktestResult = {
      date: new Date().toISOString().slice(0, 10),
      run: ns.id,
      command: `npm run backtest -- ${process.argv.slice(2).join(' ')}`.trim(),
      database: opts.database,
      range: {
        fromMs: opts.fromMs,
        toMs: opts.toMs,
        warmupStartMs,
        reachMs: reach,
        historyStartMs,
      },
      sources: {
        mode: opts.source,
        topics:
          opts.source === 'clickhouse' ? null : { transactions: opts.transactionsTopic, labels: opts.labelsTopic },
        transactions: counts.transactions,
        labels: counts.labels,
        kafkaFromMs: {
          transactions: kafkaUsed ? seams.transactions.kafkaFromMs : null,
          labels: Number.isFinite(seams.labels.kafkaFromMs) ? seams.labels.kafkaFromMs : null,
        },
        refused: (kafka?.transactions.refused ?? 0) + (kafka?.labels.refused ?? 0),
        undecodable: (kafka?.transactions.undecodable ?? 0) + (kafka?.labels.undecodable ?? 0),
      },
      candidate: { rulesFile: rules.file, rulesVersion: rules.version, model },
      production: {
        ruleSetVersions: [...new Set(stored.map((d) => d.ruleSetVersion))].sort(),
        models: [...new Set(stored.flatMap((d) => (d.model ? [d.model] : [])))].sort(),
      },
      replayed: {
        transactions: replay.transactions,
        labels: replay.labels,
        secondsOnly: history.transactions.filter((t) => t.secondsOnly).length,
        deadLetters: Object.fromEntries(Object.entries(replay.deadLetters.byReason).map(([r, v]) => [r, v.count])),
        seconds: replay.seconds,
      },
      decisions: compareDecisions(outcomes, rules.ruleIds),
      consistency: tallyConsistency(
        set,
        inRange.map((t) => t.eventId),
        complete,
        productionVectors,
        candidateVectors,
      ),
      chart: null,
      wallSeconds: 0,
      peakRssMb: 0,
    };
    const file = resolve(opts.out ?? join('reports', `backtest-${result.date}.md`));
    writeReport(file, result);
    last = JSON.stringify(headline(result));
    code = consistent(result) ? 0 : 1;
  } catch (error) {
    if (error instanceof BacktestInputError) {
      console.error(`backtest: ${error.message}`);
      code = 2;
    } else console.error(`\nbacktest failed: ${errorMessage(error)}`);
  } finally {
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

/** The report at `file`, its figures (.json) and chart (.png) beside it; prints the report. */
function writeReport(file: string, result: BacktestResult): void {
  const base = file.replace(/\.md$/, '');
  mkdirSync(dirname(file), { recursive: true });
  const { range } = result;
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ ...result, range: { ...range, from: iso(range.fromMs), to: iso(range.toMs) } }, null, 2),
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
}
