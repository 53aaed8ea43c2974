// `npm run demo`: the whole pipeline on this machine, fed by the simulator, with a closing report.
import { fileURLToPath } from 'node:url';
import { localEnv } from '@pipeline/infra';
import { errorMessage, runMain } from '@pipeline/shared';
import { runCredentials } from '../processes/credentials.js';
import { freePort } from '../processes/service-process.js';
import { ensureChampion } from '../run/champion.js';
import { startDeadLettersReader } from '../run/dead-letters-reader.js';
import { startDecisionsReader } from '../run/decisions-reader.js';
import { runLog } from '../run/log-file.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { type RunningPipeline, startPipeline } from '../run/pipeline.js';
import { createRunResources } from '../run/resources.js';
import { createRunRegistry } from '../run/run-registry.js';
import { runClients, runServers } from '../run/servers.js';
import { consoleSpec, pipelineSpecs } from '../run/services.js';
import { streamTraffic } from '../run/traffic.js';
import { DEMO_USAGE, type DemoOptions, parseDemoOptions } from './options.js';
import { countRecsysRows, countRows, monitorReport, provenanceEvent, queryOutcome } from './outcome.js';
import { type DemoSummary, formatSummary, type RecsysSummary, type ServiceExit } from './summary.js';

let options: DemoOptions;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  console.error(`demo: ${errorMessage(error)}\n\n${DEMO_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(DEMO_USAGE);
  process.exit(0);
}

/**
 * The monitor in event time over the run's database: a day's window judged as soon as event time has
 * passed it, drift against the model's training window, quality and decision mix. Performance needs
 * genuine labels (a month late), which a demo of minutes does not see.
 */
const DEMO_MONITOR = {
  MONITOR_CLOCK: 'event',
  MONITOR_INTERVAL: '1d',
  MONITOR_WINDOW: '1d',
  MONITOR_POLL: '2s',
  MONITOR_CHECKS: 'drift,quality,mix',
};

/**
 * Simulated time runs about 25,000 times faster than the clock here (two weeks in 45 s), so a
 * few milliseconds of reordering between the load generator's concurrent sends is minutes of event
 * time: the allowed lateness is scaled to match.
 */
const DEMO_TUNING = { features: { FEATURES_ALLOWED_LATENESS: '2h' } };

/** The registry the run copies: MODEL_REGISTRY_DIR, else the repository's models/. */
const REGISTRY_SOURCE = process.env.MODEL_REGISTRY_DIR ?? fileURLToPath(new URL('../../../models/', import.meta.url));

const began = performance.now();
const say = (text: string) => console.log(`\n\u25b6 ${text}  [${((performance.now() - began) / 1000).toFixed(1)} s]`);
const abort = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log('\nInterrupted: stopping traffic and everything the demo started (Ctrl-C again to quit at once).');
  abort.abort();
});
process.on('SIGTERM', () => abort.abort());

await runMain('demo', async () => {
  process.exitCode = await runDemo(options);
});

async function runDemo(opts: DemoOptions): Promise<number> {
  let pipeline: RunningPipeline | undefined;
  let monitor: RunningPipeline | undefined;
  let consoleApp: RunningPipeline | undefined;
  let exits: ServiceExit[] = [];
  let ok = false;
  const fraud = opts.useCases.includes('fraud');
  const ns = runNamespace(newRunId('demo'), opts.useCases);
  const recsysTopics = ns.recsys;
  // Loaded only with recommendations: a fraud demo (or one stopped by a bad variable) starts sooner.
  const recsysModules = recsysTopics
    ? await Promise.all([
        import('../run/recommendations-reader.js'),
        import('../run/recsys-traffic.js'),
        import('./recsys-quality.js'),
        import('@pipeline/sink/queries/recsys-quality'),
      ])
    : null;
  const log = runLog(ns, !opts.quiet);
  const logFile = log.file;
  const write = log.write;
  const { servers, started: startedServers, stop: stopServers } = await runServers(say);
  const clients = runClients('demo', servers, ns);
  const { kafka, registry, serde, clickhouse, runClickhouse } = clients;
  let models: ReturnType<typeof createRunRegistry> | undefined;
  const screenshotErrors: string[] = [];

  try {
    say(
      `Run ${ns.id}: topics ${ns.topics.transactions} ... ${ns.topics.decisions}${recsysTopics ? `, ${recsysTopics.interactions} ... ${recsysTopics.recommendations}` : ''}, ClickHouse database ${ns.clickhouseDatabase}`,
    );
    await createRunResources({ ns, kafka, registry, clickhouse });
    // The run's scorer, monitor and console share a copy of the registry: what the run promotes
    // (from the console, or a missing champion) changes the copy, never a tracked file.
    models = createRunRegistry(ns, REGISTRY_SOURCE);
    const registryEnv = { MODEL_REGISTRY_DIR: models.dir };
    console.log(`  model registry: ${models.dir} (a copy of ${REGISTRY_SOURCE})`);
    const champion = ensureChampion('demo: no champion was set', models.dir);
    console.log(
      champion
        ? `  champion model: ${champion}`
        : '  no champion model: promoted the committed fraud_gbdt@2 (fraud_core v2)',
    );

    say(`Services, each its own process (logs also in ${logFile})`);
    const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
    pipeline = await startPipeline({
      specs: pipelineSpecs(ns, servers, {
        tuning: { ...DEMO_TUNING, scorer: registryEnv },
        credentials: await clients.principals(),
      }),
      kafka,
      write,
      colour,
    });
    // After the sink: both apply the ClickHouse migrations at start.
    monitor = await startPipeline({
      specs: pipelineSpecs(ns, servers, {
        services: ['monitor'],
        tuning: { monitor: { ...DEMO_MONITOR, ...registryEnv } },
        credentials: await clients.principals(),
      }),
      kafka,
      write,
      colour,
    });

    const consolePort = await freePort();
    consoleApp = await startPipeline({
      specs: [consoleSpec(ns, servers, [...pipeline.services, ...monitor.services], consolePort, registryEnv)],
      kafka,
      write,
      colour,
    });
    const consoleUrl = `http://127.0.0.1:${consolePort}/`;
    console.log(`  console: ${consoleUrl} (while the demo runs)`);
    const shots = opts.screenshots;
    // Loaded only when asked for: playwright-core is a large module, and a demo without screenshots
    // (or one stopped by a bad variable) should not wait for it.
    const browser = shots ? await import('@pipeline/console/browser') : undefined;

    const reader = await startDecisionsReader({
      kafka,
      serde,
      topic: ns.topics.decisions,
      groupId: `${ns.groupPrefix}demo-reader`,
    });
    const refused = await startDeadLettersReader({ kafka, serde, ns, groupId: `${ns.groupPrefix}demo-dead-letters` });
    const ranked =
      recsysModules && recsysTopics
        ? await recsysModules[0].startRecommendationsReader({
            kafka,
            serde,
            topic: recsysTopics.recommendations,
            groupId: `${ns.groupPrefix}demo-recommendations`,
          })
        : undefined;
    say(
      `Traffic: ${opts.rate} events/s${opts.useCases.length > 1 ? ' per use case' : ''} (${opts.useCases.join(', ')}) for ${opts.durationMs / 1000} s (simulator seed ${opts.seed})`,
    );
    // The live page near the end of the traffic, while its figures still move; the others once the
    // sink has written everything and the monitor has judged the run's days.
    let liveShot: Promise<void> = Promise.resolve();
    const liveTimer =
      shots && browser
        ? setTimeout(
            () => {
              liveShot = browser
                .screenshotPages({ url: consoleUrl, token: runCredentials().token, dir: shots, pages: ['live'] })
                .then(
                  (files) => console.log(`  screenshot: ${files.join(', ')}`),
                  (error) => void screenshotErrors.push(`live: ${errorMessage(error)}`),
                );
            },
            Math.max(0, opts.durationMs - 15_000),
          )
        : undefined;
    const fraudTraffic = fraud
      ? streamTraffic({
          kafka,
          serde,
          ns,
          rate: opts.rate,
          durationMs: opts.durationMs,
          keepIds: true,
          signal: abort.signal,
          simulator: demoSimulator(opts.seed),
          onProgress: (p) => {
            if (Math.round(p.elapsedMs / 1000) % 5 !== 0) return;
            const s = reader.stats();
            const w = reader.takeWindow();
            console.log(
              `  ${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  sent ${p.sent}  decided ${s.events}  last 5 s p50 ${w.p50?.toFixed(1) ?? '-'} p99 ${w.p99?.toFixed(1) ?? '-'} ms, on rules alone ${w.count > 0 ? `${((100 * w.rulesOnly) / w.count).toFixed(0)} %` : '-'}`,
            );
          },
        })
      : Promise.resolve(null);
    const recsysTraffic =
      recsysTopics && ranked && recsysModules
        ? recsysModules[1].streamRecsysTraffic({
            kafka,
            serde,
            topics: recsysTopics,
            rate: opts.rate,
            durationMs: opts.durationMs,
            keepEvents: true,
            signal: abort.signal,
            simulator: demoRecsysSimulator(opts.seed),
            onProgress: (p) => {
              if (Math.round(p.elapsedMs / 1000) % 5 !== 0) return;
              const s = ranked.stats();
              const w = ranked.takeWindow();
              console.log(
                `  ${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  recsys sent ${p.sent}  ranked ${s.requests}  last 5 s p50 ${w.p50?.toFixed(1) ?? '-'} p99 ${w.p99?.toFixed(1) ?? '-'} ms, on rules alone ${w.count > 0 ? `${((100 * w.rulesOnly) / w.count).toFixed(0)} %` : '-'}`,
              );
            },
          })
        : Promise.resolve(null);
    const [traffic, recsysSent] = await Promise.all([fraudTraffic, recsysTraffic]);
    clearTimeout(liveTimer);
    await liveShot;
    for (const sent of [traffic, recsysSent]) {
      if (sent && sent.stats.failed > 0) throw new Error(`publishing failed: ${sent.stats.errors.join('; ')}`);
    }

    say('Waiting for the last decisions and for the sink to write them');
    const deadline = Date.now() + 60_000;
    const transactionIds = traffic?.transactionIds ?? [];
    const requestIds = recsysSent && recsysModules ? recsysModules[1].requestIdsOf(recsysSent.events) : [];
    // Every transaction ends with a decision, every request with a ranked list, or as a dead letter
    // with its reason.
    const unaccounted = () => reader.missing(transactionIds).filter((id) => !refused.eventIds().has(id));
    const unranked = () => (ranked?.missing(requestIds) ?? []).filter((id) => !refused.eventIds().has(id));
    while (!abort.signal.aborted && Date.now() < deadline && (unaccounted().length > 0 || unranked().length > 0))
      await sleep(250);
    const decided = transactionIds.length - reader.missing(transactionIds).length;
    const rankedCount = requestIds.length - (ranked?.missing(requestIds).length ?? 0);
    const recsysLabels = recsysSent?.labels ?? 0;
    const readRows = async () => ({
      ...(fraud ? await countRows(runClickhouse) : {}),
      ...(recsysTopics ? await countRecsysRows(runClickhouse) : {}),
    });
    const written = (r: Record<string, number>) =>
      (r.decisions ?? 0) >= decided &&
      (r.recsys_recommendations ?? 0) >= rankedCount &&
      (r.recsys_labels ?? 0) >= recsysLabels;
    let rows = await readRows();
    while (!abort.signal.aborted && Date.now() < deadline && !written(rows)) {
      await sleep(500);
      rows = await readRows();
    }
    const featureSample = fraud ? await sampleFeatures(pipeline, transactionIds.length > 0) : null;
    const decisions = await reader.stop();
    const undecided = unaccounted().length;
    const stillUnranked = unranked().length;
    const rankedStats = ranked ? await ranked.stop() : null;
    const refusedIds = refused.eventIds();
    const deadLetters = await refused.stop();
    let recsysSummary: RecsysSummary | null = null;
    if (recsysSent && rankedStats && ranked && recsysModules) {
      const [, , { clickedByRequest, listQuality, popularityLists }, { recsysQuality }] = recsysModules;
      const lists = ranked.lists();
      const sentIds = new Set(requestIds);
      const comparable = new Map([...lists].filter(([id]) => sentIds.has(id)));
      const clicked = clickedByRequest(recsysSent.events);
      recsysSummary = {
        published: {
          interactions: recsysSent.interactions,
          requests: recsysSent.requests,
          labels: recsysSent.labels,
          seconds: recsysSent.stats.durationMs / 1000,
          rate: recsysSent.stats.rate,
        },
        ranked: rankedStats,
        unaccounted: stillUnranked,
        deadLettered: requestIds.filter((id) => refusedIds.has(id)).length,
        quality: await recsysQuality(runClickhouse),
        comparison:
          comparable.size === 0
            ? null
            : {
                ranked: listQuality(comparable, clicked),
                popularity: listQuality(popularityLists(recsysSent.events, new Set(comparable.keys())), clicked),
              },
      };
    }

    const monitorLines = await monitorReport(runClickhouse);
    if (shots && browser && !abort.signal.aborted) {
      say(`Screenshots of the console's pages into ${shots}`);
      try {
        const eventId = await provenanceEvent(runClickhouse);
        const files = await browser.screenshotPages({
          url: consoleUrl,
          token: runCredentials().token,
          dir: shots,
          pages: browser.CONSOLE_PAGES.filter((p) => p !== 'live'),
          widest: true,
          ...(eventId ? { eventId } : {}),
        });
        console.log(`  ${files.join('\n  ')}${eventId ? `\n  (decisions: the provenance of ${eventId})` : ''}`);
      } catch (error) {
        screenshotErrors.push(errorMessage(error));
      }
      for (const e of screenshotErrors) console.error(`  screenshots failed: ${e}`);
    }
    exits = [...(await pipeline.stop()), ...(await monitor.stop()), ...(await consoleApp.stop())];
    pipeline = undefined;
    monitor = undefined;
    consoleApp = undefined;
    const summary: DemoSummary = {
      run: ns.id,
      useCases: ns.useCases,
      published: {
        transactions: traffic?.stats.sent[ns.topics.transactions] ?? 0,
        labels: traffic?.labels ?? 0,
        seconds: (traffic?.stats.durationMs ?? 0) / 1000,
        rate: traffic?.stats.rate ?? 0,
      },
      decisions,
      undecided,
      deadLetters,
      outcome: fraud ? await queryOutcome(runClickhouse) : null,
      rows,
      monitor: monitorLines,
      featureSample,
      services: exits,
      where: whereToLook(ns.clickhouseDatabase, servers.CLICKHOUSE_URL, opts.keep, models.dir, recsysTopics !== null),
      recsys: recsysSummary,
    };
    say('Summary');
    console.log(formatSummary(summary));
    ok =
      !abort.signal.aborted &&
      summary.undecided === 0 &&
      decisions.duplicates === 0 &&
      (recsysSummary === null || (recsysSummary.unaccounted === 0 && recsysSummary.ranked.duplicates === 0)) &&
      exits.every((e) => e.clean) &&
      screenshotErrors.length === 0;
    console.log(ok ? '\nDemo complete.' : '\nDemo incomplete: see above.');
    console.log(JSON.stringify({ demo: { ...summary, ok } }));
  } catch (error) {
    console.error(`\ndemo failed: ${errorMessage(error)}`);
  } finally {
    if (pipeline) exits = await pipeline.stop();
    if (monitor) await monitor.stop();
    if (consoleApp) await consoleApp.stop();
    if (!opts.keep) await clients.removeRun();
    if (!opts.keep) models?.remove();
    await clients.close();
    log.end();
    if (startedServers.length > 0 && !opts.keep) {
      say('Stopping the servers the demo started (--keep leaves them up)');
      await stopServers(console.log);
    } else if (startedServers.length > 0) {
      console.log('\nServers left running; stop them with npm run infra:down. Their addresses:');
      for (const [key, value] of Object.entries(localEnv())) console.log(`  export ${key}=${value}`);
    }
  }
  return ok ? 0 : 1;
}

/**
 * Recommendation sessions of a small shop (300 users, the model's 2,000 items): at the demo's rate
 * a few simulated days pass, so items gather the views their features and the fallback order read.
 * The interactions and requests topics are not aligned in event time yet (docs/recommendations.md):
 * on a loaded machine a request can trail its user's interactions by hours of simulated time and is
 * dead-lettered as late, which the report counts.
 */
function demoRecsysSimulator(seed: number) {
  return { seed, users: 300 };
}

/** A small population whose days pass quickly, so fraud labels arrive while the demo runs. */
function demoSimulator(seed: number) {
  return { seed, customers: 300, terminals: 600, days: 365, fraudRate: 0.02 };
}

async function sampleFeatures(pipeline: RunningPipeline, any: boolean): Promise<DemoSummary['featureSample']> {
  if (!any) return null;
  const features = pipeline.services.find((s) => s.name === 'features');
  const apiPort = features
    ?.tail()
    .map((l) => /"apiPort":(\d+)/.exec(l)?.[1])
    .find(Boolean);
  if (!apiPort) return null;
  const url = `http://127.0.0.1:${apiPort}/features/customer/C000001`;
  try {
    const response = await fetch(url, { headers: runCredentials().headers });
    return { url, body: await response.json() };
  } catch {
    return null;
  }
}

function whereToLook(
  database: string,
  clickhouseUrl: string,
  keep: boolean,
  registryDir: string,
  recsys: boolean,
): string[] {
  const q = (sql: string) => `curl '${clickhouseUrl}/?database=${database}' --data-binary "${sql}"`;
  return [
    ...(keep ? [] : ["this run's topics, tables and keys are removed; run with --keep to query them, e.g.:"]),
    q('SELECT * FROM decision_mix_daily ORDER BY day LIMIT 20 FORMAT PrettyCompact'),
    q('SELECT * FROM fraud_by_model_variant FORMAT PrettyCompact'),
    q('SELECT * FROM confusion_by_threshold FORMAT PrettyCompact'),
    ...(recsys ? [q('SELECT * FROM recsys_quality_daily ORDER BY day FORMAT PrettyCompact')] : []),
    "the analysts' tables and views: docs/analytics.md",
    'the feature API: GET /features/<customer|terminal>/<id> (services/features/README.md)',
    'the decisions topic with your own consumer: docs/topology.md',
    'rules: services/decision/rules/fraud.yaml (hot reloaded)',
    keep
      ? `the run's model registry (a copy of models/): npm run model -- list --registry ${registryDir}`
      : "models: npm run model -- list (the run's copy of the registry is removed; --keep leaves it)",
  ];
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
