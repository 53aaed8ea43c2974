// `npm run verify:replay`: replay a seeded history through the pipeline and hold every logged vector
// to the reference (see VERIFY_REPLAY_USAGE and e2e/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { simulate } from '@pipeline/loadtest';
import { errorMessage, runMain } from '@pipeline/shared';
import { type DeadLettersReader, startDeadLettersReader } from '../run/dead-letters-reader.js';
import { runLog } from '../run/log-file.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { type RunningPipeline, startPipeline } from '../run/pipeline.js';
import { featuresProgress, publishReplay } from '../run/replay-traffic.js';
import { createRunResources } from '../run/resources.js';
import { runClients, runServers } from '../run/servers.js';
import { pipelineSpecs } from '../run/services.js';
import { createTally } from '../vectors/compare.js';
import { referenceKeepMs } from '../vectors/feature-groups.js';
import { countLogged, readLoggedVectors } from '../vectors/logged-vectors.js';
import { parseVerifyReplayOptions, simulatorConfig, VERIFY_REPLAY_USAGE, type VerifyReplayOptions } from './options.js';
import { reconcile } from './reconcile.js';
import { headline, renderReport, type VerifyReplayResult } from './report.js';

let options: VerifyReplayOptions;
try {
  options = parseVerifyReplayOptions(process.argv.slice(2));
} catch (error) {
  console.error(`verify:replay: ${errorMessage(error)}\n\n${VERIFY_REPLAY_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(VERIFY_REPLAY_USAGE);
  process.exit(0);
}

const DAY_MS = 86_400_000;
/** Waiting for the sink gives up after this long without one more stored vector. */
const STALL_MS = 120_000;
const set = fraudFeatureSet;
/** Default settings but no tracing: it is not what is measured, and costs CPU. */
const quiet = { OTEL_SDK_DISABLED: 'true' };
const TUNING = { features: quiet, scorer: quiet, decision: quiet, sink: quiet };

const began = performance.now();
const seconds = () => (performance.now() - began) / 1000;
const say = (text: string) => console.log(`\n\u25b6 ${text}  [${seconds().toFixed(1)} s]`);
const abort = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log('\nInterrupted: stopping and removing what the run started (Ctrl-C again to quit at once).');
  abort.abort();
});
process.on('SIGTERM', () => abort.abort());

await runMain('verify-replay', async () => {
  process.exitCode = await verifyReplay(options);
});

async function verifyReplay(opts: VerifyReplayOptions): Promise<number> {
  const loadBefore = loadavg();
  const ns = runNamespace(newRunId('verify'));
  const log = runLog(ns, opts.verbose);
  const logFile = log.file;
  const write = log.write;
  const { servers, started: startedServers, stop: stopServers } = await runServers(say);
  const clients = runClients('verify-replay', servers, ns);
  const { kafka, registry, serde, clickhouse, runClickhouse } = clients;
  let pipeline: RunningPipeline | undefined;
  let refused: DeadLettersReader | undefined;
  let features: Awaited<ReturnType<typeof featuresProgress>> | undefined;
  let last: string | undefined;

  try {
    say(`Run ${ns.id}: topics ${ns.topics.transactions} ..., ClickHouse database ${ns.clickhouseDatabase}`);
    await createRunResources({ ns, kafka, registry, clickhouse });
    refused = await startDeadLettersReader({ kafka, serde, ns, groupId: `${ns.groupPrefix}verify-dead-letters` });
    say(`Services features, scorer, decision, sink, each its own process (logs in ${logFile})`);
    pipeline = await startPipeline({
      specs: pipelineSpecs(ns, servers, { tuning: TUNING, credentials: await clients.principals() }),
      kafka,
      write,
      colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
    });
    features = await featuresProgress(kafka, ns);
    const probe = features;
    const letters = refused;

    const history = simulatorConfig(opts);
    say(
      `Publishing ${opts.days} days of ${opts.customers} customers at ${opts.terminals} terminals (seed ${opts.seed}), ${opts.speed === 'fast' ? 'as fast as the broker takes them' : `at most ${opts.lagCap} messages ahead of the feature service`}`,
    );
    const publishStarted = performance.now();
    let lastLine = 0;
    const progress = async (published: number) => {
      if (performance.now() - lastLine < 5_000) return;
      lastLine = performance.now();
      const [consumed, stored] = await Promise.all([probe.consumed(), countLogged(runClickhouse)]);
      console.log(
        `  ${seconds().toFixed(0).padStart(5)} s  published ${published}  features consumed ${consumed}  vectors stored ${stored}`,
      );
    };
    const published = await publishReplay({
      kafka,
      serde,
      ns,
      events: simulate(history),
      speed: opts.speed,
      lagCap: opts.lagCap,
      consumed: () => probe.consumed(),
      signal: abort.signal,
      onProgress: (n) => void progress(n).catch(() => undefined),
    });
    say(`Published ${published.transactions} transactions and ${published.labels} labels; waiting for the sink`);

    // Every transaction ends as a stored vector or a dead letter.
    let stored = 0;
    let lastGain = performance.now();
    for (;;) {
      if (abort.signal.aborted) throw new Error('interrupted');
      const now = await countLogged(runClickhouse);
      if (now > stored) lastGain = performance.now();
      stored = now;
      const expected = published.transactions - letters.eventIds().size;
      if (stored >= expected) break;
      if (performance.now() - lastGain > STALL_MS) {
        throw new Error(
          `the sink stored ${stored} of ${expected} accepted vectors and none more for ${STALL_MS / 1000} s; logs in ${logFile}`,
        );
      }
      await progress(published.transactions + published.labels);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const pipelineSeconds = (performance.now() - publishStarted) / 1000;
    await probe.close();
    features = undefined;
    const exits = await pipeline.stop();
    pipeline = undefined;
    const deadLetters = await letters.stop();
    refused = undefined;

    const keepMs = referenceKeepMs(set);
    say(
      `Reference: referenceStream over the same ${published.transactions + published.labels} events, keeping ${keepMs / DAY_MS} days; comparing day by day`,
    );
    const referenceStarted = performance.now();
    const tally = createTally(set, { examples: opts.examples });
    let lastDayLine = 0;
    const reconciled = await reconcile({
      events: simulate(history),
      set,
      keepMs,
      readLogged: (from, to) => readLoggedVectors(runClickhouse, from, to),
      tally,
      refused: letters.eventIds(),
      onDay: (p) => {
        if (abort.signal.aborted) throw new Error('interrupted');
        if (performance.now() - lastDayLine < 5_000) return;
        lastDayLine = performance.now();
        const share = p.vectors === 0 ? '-' : ((p.exactVectors / p.vectors) * 100).toFixed(2);
        console.log(
          `  ${seconds().toFixed(0).padStart(5)} s  through ${new Date(p.day).toISOString().slice(0, 10)}  ${p.vectors} vectors  exact ${share} %`,
        );
      },
    });
    if (reconciled.transactions !== published.transactions) {
      throw new Error(
        `the reference read ${reconciled.transactions} transactions, ${published.transactions} were published: the history is not the one published`,
      );
    }
    const referenceSeconds = (performance.now() - referenceStarted) / 1000;

    const date = new Date().toISOString().slice(0, 10);
    const result: VerifyReplayResult = {
      date,
      run: ns.id,
      command: `npm run verify:replay -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        memoryGb: totalmem() / 2 ** 30,
        loadBefore,
        node: process.version,
      },
      history: {
        seed: opts.seed,
        days: opts.days,
        customers: opts.customers,
        terminals: opts.terminals,
        fraudRate: opts.fraudRate,
        speed: opts.speed,
        lagCap: opts.speed === 'slow' ? opts.lagCap : null,
      },
      featureSet: { name: set.name, version: set.version, features: set.names.length, keepDays: keepMs / DAY_MS },
      published: {
        transactions: published.transactions,
        labels: published.labels,
        seconds: published.durationMs / 1000,
      },
      pipelineSeconds,
      referenceSeconds,
      wallSeconds: seconds(),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      refused: reconciled.refused,
      deadLetters,
      uncleanExits: exits.filter((e) => !e.clean).map((e) => e.name),
      comparison: tally.result(),
      days: reconciled.days,
    };
    const report = renderReport(result);
    const out = resolve(opts.out);
    mkdirSync(out, { recursive: true });
    // One file per speed: the check is usually run at both on the same day.
    const file = join(out, `verify-replay-${date}-${opts.speed}.md`);
    writeFileSync(file, report);
    say('Report');
    console.log(`\n${report}\nWritten: ${file}`);
    last = JSON.stringify(headline(result));
  } catch (error) {
    console.error(`\nverify:replay failed: ${errorMessage(error)}`);
  } finally {
    await features?.close().catch(() => undefined);
    if (pipeline) await pipeline.stop();
    await refused?.stop().catch(() => undefined);
    if (!opts.keep) await clients.removeRun();
    await clients.close();
    log.end();
    if (startedServers.length > 0 && !opts.keep) {
      say('Stopping the servers this run started (--keep leaves them up)');
      await stopServers(console.log);
    }
  }
  // The figures last, after any cleanup output, for whoever compares runs.
  if (last) console.log(last);
  return last ? 0 : 1;
}
