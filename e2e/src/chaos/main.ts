// `npm run chaos`: faults injected into the whole pipeline under steady load, with a report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { type LocalServer, localServers, type ServerSet } from '@pipeline/infra';
import { type SimEvent, simulate } from '@pipeline/loadtest';
import { createProducer, errorMessage, runMain } from '@pipeline/shared';
import { type Label, schemaFor, type Transaction, valueSubject } from '@pipeline/topology';
import { type ServiceProcess, startServiceProcess } from '../processes/service-process.js';
import { ensureChampion } from '../run/champion.js';
import { startDeadLettersReader } from '../run/dead-letters-reader.js';
import { startDecisionsReader } from '../run/decisions-reader.js';
import { runLog } from '../run/log-file.js';
import { newRunId, runNamespace } from '../run/namespace.js';
import { createRunResources, waitForGroups } from '../run/resources.js';
import { runClients, runServers } from '../run/servers.js';
import { type ProcessSpec, pipelineSpecs, SERVICE_NAMES } from '../run/services.js';
import { streamTraffic } from '../run/traffic.js';
import { countLogged, readLoggedVectors } from '../vectors/logged-vectors.js';
import { type BadKind, badMessages } from './bad-messages.js';
import { checkFeatures } from './features-check.js';
import {
  type BadFigures,
  countEvents,
  type FaultFigures,
  type LatencySample,
  normalLatencyMs,
  recoverySeconds,
} from './figures.js';
import { CHAOS_USAGE, type ChaosOptions, type Fault, parseChaosOptions, SERVER_FAULTS } from './options.js';
import { renderReport, summaryLine } from './report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** Simulated time runs thousands of times faster than the clock (as in the demo): lateness to match. */
const TUNING = { features: { FEATURES_ALLOWED_LATENESS: '2h' } };
/** Servers of its own, beside the usual ones: the run stops and restarts them. */
const CHAOS_SERVERS: ServerSet = { name: 'chaos', portOffset: 1000 };
const DRAIN_MS = 90_000;
/** Waiting for the sink's last vectors gives up after this long without one more. */
const STALL_MS = 120_000;
/** The recovery the pipeline aims for after a service restart; a slower one prints its timeline. */
const RECOVERY_GOAL_S = 10;
const CLICKHOUSE_OUTAGE_MS = 60_000;
const SERVER_NAME: Partial<Record<Fault, string>> = {
  'redis-restart': 'redis',
  'registry-restart': 'schema-registry',
  'clickhouse-outage': 'clickhouse',
  'kafka-restart': 'kafka',
};

let options: ChaosOptions;
try {
  options = parseChaosOptions(process.argv.slice(2));
} catch (error) {
  console.error(`chaos: ${errorMessage(error)}\n\n${CHAOS_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(CHAOS_USAGE);
  process.exit(0);
}

const began = Date.now();
const say = (text: string) => console.log(`\n\u25b6 ${text}  [${((Date.now() - began) / 1000).toFixed(0)} s]`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await runMain('chaos', async () => {
  process.exitCode = await runChaos(options);
});

async function runChaos(o: ChaosOptions): Promise<number> {
  const loadBefore = loadavg();
  const ns = runNamespace(newRunId('chaos'));
  const log = runLog(ns, false);
  const logFile = log.file;
  const write = log.write;
  const { servers, started: startedServers, stop: stopServers } = await runServers(say, CHAOS_SERVERS);
  // Server faults stop and start servers: only those this run started, all of them.
  const ownServers = startedServers.length === localServers(CHAOS_SERVERS).length;
  const clients = runClients('chaos', servers, ns);
  const { kafka, registry, serde, clickhouse, runClickhouse } = clients;
  const credentials = await clients.principals();
  const specs = new Map(pipelineSpecs(ns, servers, { tuning: TUNING, credentials }).map((s) => [s.name, s]));
  /** Running instances per service; the first is the one a kill fault kills. */
  const running = new Map<string, ServiceProcess[]>();
  const killed = new Set<number>();
  const crashes: { name: string; at: number }[] = [];
  const rows: FaultFigures[] = [];
  let ok = false;

  const start = async (spec: ProcessSpec, name = spec.name): Promise<ServiceProcess> => {
    const p = await startServiceProcess({
      name,
      entry: spec.entry,
      env: spec.env,
      write,
      colour: null,
      prefixWidth: 10,
    });
    void p.exit.then(() => {
      if (!killed.has(p.pid)) crashes.push({ name, at: Date.now() });
    });
    return p;
  };
  const kill = async (p: ServiceProcess) => {
    killed.add(p.pid);
    process.kill(-p.pid, 'SIGKILL');
    await p.exit;
  };

  try {
    say(`Run ${ns.id} (service logs in ${logFile})`);
    await createRunResources({ ns, kafka, registry, clickhouse });
    ensureChampion('chaos: no champion was set');
    for (const name of SERVICE_NAMES) {
      const spec = specs.get(name) as ProcessSpec;
      running.set(name, [await start(spec)]);
    }
    await waitForGroups(
      kafka,
      [...specs.values()].flatMap((s) => s.groups),
    );
    const reader = await startDecisionsReader({
      kafka,
      serde,
      topic: ns.topics.decisions,
      groupId: `${ns.groupPrefix}chaos-reader`,
    });
    const refused = await startDeadLettersReader({ kafka, serde, ns, groupId: `${ns.groupPrefix}chaos-dead-letters` });
    const recent: Transaction[] = [];
    /** Events taken for the current window, then those of every window that were sent. */
    let pulled: SimEvent[] = [];
    const published: SimEvent[] = [];
    const windowOf = new Map<string, { window: number; atMs: number }>();
    /** When each event was taken for publishing (ms since the epoch). */
    const takenAt = new WeakMap<SimEvent, number>();
    const sim = simulate({ seed: o.seed, customers: 1000, terminals: 600, days: 3650, fraudRate: 0.02 });
    // One stream across the windows: no iterator `return`, so a window's end does not close it.
    const events: Iterable<SimEvent> = {
      [Symbol.iterator]: () => ({
        next: () => {
          const next = sim.next();
          if (!next.done) {
            pulled.push(next.value);
            takenAt.set(next.value, Date.now());
          }
          if (!next.done && next.value.kind === 'transaction') {
            recent.push(next.value.value);
            if (recent.length > 5000) recent.shift();
          }
          return next;
        },
      }),
    };
    const encoders = {
      transaction: await serde.encoder<Transaction>(
        valueSubject(ns.topics.transactions),
        schemaFor('fraud/transaction').type,
      ),
      label: await serde.encoder<Label>(valueSubject(ns.topics.labels), schemaFor('fraud/label').type),
    };

    /** The fault itself; resolves with when normal service can resume (ms since the window began). */
    const inject = async (
      fault: Fault,
      windowStart: number,
    ): Promise<{
      fromMs: number;
      readyS?: number;
      bad?: BadFigures & { keys: Map<string, BadKind> };
      resentIds?: string[];
    }> => {
      const since = () => Date.now() - windowStart;
      if (fault.startsWith('kill-')) {
        const name = fault.slice('kill-'.length);
        const [victim, ...rest] = running.get(name) ?? [];
        if (!victim) throw new Error(`no ${name} running`);
        await kill(victim);
        await sleep(o.downMs);
        const restartAt = Date.now();
        const again = await start(specs.get(name) as ProcessSpec);
        running.set(name, [...rest, again]);
        return { fromMs: restartAt - windowStart, readyS: (Date.now() - restartAt) / 1000 };
      }
      if (fault === 'scale-out') {
        const added = await Promise.all(
          SERVICE_NAMES.map((name) => start(specs.get(name) as ProcessSpec, `${name}#2`)),
        );
        SERVICE_NAMES.forEach((name, i) => {
          running.set(name, [...(running.get(name) ?? []), added[i] as ServiceProcess]);
        });
        await sleep(o.windowMs / 6);
        const killAt = Date.now();
        for (const name of SERVICE_NAMES) {
          const [first, ...rest] = running.get(name) ?? [];
          if (first) await kill(first);
          running.set(name, rest);
        }
        return { fromMs: killAt - windowStart };
      }
      if (fault === 'bad-input') {
        const fromMs = since();
        return { fromMs, ...(await sendBadInput()) };
      }
      const server = localServers(CHAOS_SERVERS).find((s) => s.name === SERVER_NAME[fault]) as LocalServer;
      const stopping = Date.now();
      await server.stop();
      // The outage's minute counts from the fault: a server slow to shut down (ClickHouse finishing
      // its queries) would otherwise come back after the window's traffic has ended.
      await sleep(
        fault === 'clickhouse-outage' ? Math.max(0, CLICKHOUSE_OUTAGE_MS - (Date.now() - stopping)) : o.downMs,
      );
      const restartAt = Date.now();
      await server.start();
      const deadline = Date.now() + server.startTimeoutSec * 1000;
      while (!(await server.probe())) {
        if (Date.now() > deadline) throw new Error(`${server.name} did not answer after its restart`);
        await sleep(250);
      }
      return { fromMs: restartAt - windowStart, readyS: (Date.now() - restartAt) / 1000 };
    };

    /** Malformed messages and resent transactions, spread over a third of the window. */
    const sendBadInput = async () => {
      const samples = recent.slice(0, 2000);
      const bad = badMessages({ count: o.bad, seed: o.seed, samples, ...encoders });
      const resent = samples.slice(0, Math.max(1, Math.floor(o.bad / 10)));
      // the resent transactions among the malformed ones, one in ten
      const messages = bad.flatMap((m, i) => {
        const tx = i % 10 === 0 ? resent[i / 10] : undefined;
        const message = { key: m.key, value: m.value };
        return tx ? [{ key: tx.customer_id, value: encoders.transaction.encode(tx) }, message] : [message];
      });
      const producer = createProducer(kafka);
      await producer.connect();
      try {
        const chunks = Math.max(1, Math.floor(o.windowMs / 3 / 100));
        const size = Math.ceil(messages.length / chunks);
        for (let i = 0; i < messages.length; i += size) {
          await producer.send({ topic: ns.topics.transactions, acks: -1, messages: messages.slice(i, i + size) });
          await sleep(100);
        }
      } finally {
        await producer.disconnect();
      }
      const byKind: BadFigures['byKind'] = {};
      for (const m of bad) {
        const k = byKind[m.kind] ?? { sent: 0, deadLettered: 0 };
        k.sent++;
        byKind[m.kind] = k;
      }
      return {
        bad: {
          sent: bad.length,
          deadLettered: 0,
          byKind,
          resent: resent.length,
          resentDecidedTwice: 0,
          keys: new Map(bad.map((m) => [m.key, m.kind])),
        },
        resentIds: resent.map((tx) => tx.event_id),
      };
    };

    for (const fault of o.faults) {
      if (SERVER_FAULTS.includes(fault) && !ownServers) {
        rows.push({ fault, skipped: 'servers not started by this run' });
        continue;
      }
      // The outage lasts a minute: its window has --window of traffic besides, two thirds after it.
      // Scale-out starts five processes before it kills the first ones: twice --window.
      const windowMs =
        fault === 'clickhouse-outage'
          ? o.windowMs + CLICKHOUSE_OUTAGE_MS
          : fault === 'scale-out'
            ? 2 * o.windowMs
            : o.windowMs;
      say(`${fault}: ${o.rate} events/s for ${windowMs / 1000} s, the fault ${(o.windowMs / 3000).toFixed(1)} s in`);
      const window = rows.length;
      pulled = [];
      const windowStart = Date.now();
      const crashesBefore = crashes.length;
      const lettersBefore = refused.stats().byReason;
      const samples: LatencySample[] = [];
      reader.takeWindow();
      const sampler = setInterval(() => {
        const w = reader.takeWindow();
        samples.push({ atMs: Date.now() - windowStart, count: w.count, p99: w.p99 });
      }, 1000);
      const traffic = streamTraffic({ kafka, serde, ns, rate: o.rate, durationMs: windowMs, keepIds: true, events });
      await sleep(o.windowMs / 3);
      const faultAt = Date.now() - windowStart;
      const injected = await inject(fault, windowStart);
      const sent = await traffic;
      const trafficEnd = Date.now() - windowStart;
      if (sent.stats.failed > 0) console.log(`  publishing failed for ${sent.stats.failed}: ${sent.stats.errors[0]}`);
      const ids = sent.transactionIds;
      // One request at a time: what was sent is what was taken, up to a failed last request.
      for (const event of pulled.slice(0, sent.stats.total)) {
        published.push(event);
        if (event.kind === 'transaction') {
          windowOf.set(event.value.event_id, { window, atMs: (takenAt.get(event) ?? windowStart) - windowStart });
        }
      }
      const drainEnd = Date.now() + DRAIN_MS;
      const accounted = () => reader.missing(ids).filter((id) => !refused.eventIds().has(id)).length === 0;
      while (Date.now() < drainEnd && !accounted()) await sleep(500);
      // A few more seconds of samples: recovery is judged on seconds with decisions.
      await sleep(3000);
      clearInterval(sampler);

      const lettersAfter = refused.stats().byReason;
      const deadLetters: Record<string, number> = {};
      for (const [reason, { count }] of Object.entries(lettersAfter)) {
        const delta = count - (lettersBefore[reason]?.count ?? 0);
        if (delta > 0) deadLetters[reason] = delta;
      }
      const normal = normalLatencyMs(samples, faultAt);
      const row: FaultFigures = {
        fault,
        events: countEvents(ids, reader.decisionsOf, refused.eventIds()),
        deadLetters,
        recoveryS: recoverySeconds(samples, injected.fromMs, trafficEnd, normal),
        normalLatencyMs: normal,
        faultAtMs: faultAt,
        crashes: crashes.slice(crashesBefore).map((c) => c.name),
        ...(injected.readyS === undefined ? {} : { readyS: injected.readyS }),
      };
      if (injected.bad) {
        const { keys, ...bad } = injected.bad;
        const seen = refused.keys();
        for (const [key, kind] of keys) {
          if (!seen.has(key)) continue;
          bad.deadLettered++;
          (bad.byKind[kind] as { deadLettered: number }).deadLettered++;
        }
        bad.resentDecidedTwice = (injected.resentIds ?? []).filter((id) => reader.decisionsOf(id).count > 1).length;
        row.bad = bad;
      }
      rows.push(row);
      const recovery = row.recoveryS ?? null;
      if (recovery === null || recovery > RECOVERY_GOAL_S) {
        // What the seconds after the fault looked like, to see why.
        const after = samples.filter((x) => x.atMs > injected.fromMs - 1000);
        console.log(
          `  ${recovery === null ? 'not back' : `back after ${recovery} s`} under ${normal} ms; ` +
            `from the restart (s: decisions/p99 ms): ` +
            after.map((x) => `${Math.round(x.atMs / 1000)}:${x.count}/${x.p99 ?? '-'}`).join(' '),
        );
      }
      const e = row.events;
      console.log(
        `  published ${e?.published}, decided once ${e?.decidedOnce}, lost ${e?.lost}, twice ${e?.duplicates} ` +
          `(differing ${e?.differingDuplicates}), dead-lettered ${e?.deadLettered}, recovery ${row.recoveryS ?? 'none'} s` +
          (row.bad ? `, malformed ${row.bad.sent} → dead-lettered ${row.bad.deadLettered}` : '') +
          (row.crashes?.length ? `, crashed: ${row.crashes.join(', ')}` : '') +
          `; fault ${(faultAt / 1000).toFixed(1)} s in, service resumed or restarted ${(injected.fromMs / 1000).toFixed(1)} s in`,
      );
    }
    say('Features: every logged vector against the reference over the events as published');
    // Decided, or not refused (a resent duplicate is refused, its first copy decided).
    const accepted = published.filter(
      (e) =>
        e.kind === 'transaction' &&
        (reader.decisionsOf(e.value.event_id).count > 0 || !refused.eventIds().has(e.value.event_id)),
    );
    let stored = 0;
    let lastGain = Date.now();
    while (stored < accepted.length && Date.now() - lastGain < STALL_MS) {
      const now = await countLogged(runClickhouse);
      if (now > stored) lastGain = Date.now();
      stored = now;
      if (stored < accepted.length) await sleep(1000);
    }
    const checked = await checkFeatures({
      set: fraudFeatureSet,
      events: published,
      windowOf,
      readLogged: (from, to) => readLoggedVectors(runClickhouse, from, to),
      refused: refused.eventIds(),
    });
    for (const [w, figures] of checked.windows) {
      const row = rows[w];
      if (row) row.features = figures;
    }
    const comparison = checked.tally.result();
    console.log(
      `  ${comparison.exactVectors} of ${comparison.vectors} vectors exact, ${comparison.missing} missing` +
        (comparison.worst.length > 0 ? `; e.g. ${JSON.stringify(comparison.worst.slice(0, 3))}` : ''),
    );
    await reader.stop();
    await refused.stop();
    ok = true;
  } catch (error) {
    console.error(`\nchaos failed: ${errorMessage(error)}`);
  } finally {
    for (const list of running.values()) for (const p of list) await p.stop(10_000);
    await clients.removeRun();
    await clients.close();
    log.end();
    await stopServers();
  }
  const result = {
    date: new Date().toISOString().slice(0, 10),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadBefore, node: process.version },
    options: o,
    ownServers,
    rows,
  };
  mkdirSync(`${root}reports`, { recursive: true });
  const report = `${root}reports/chaos-${result.date}.md`;
  writeFileSync(report, renderReport(result));
  say(`Report: ${report}`);
  console.log(summaryLine(result));
  return ok ? 0 : 1;
}
