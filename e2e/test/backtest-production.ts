import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimulatorConfigInput, simulate } from '@pipeline/loadtest';
import type { ClickHouseClient } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import type { RunNamespace } from '../src/run/namespace.js';
import { startPipeline } from '../src/run/pipeline.js';
import { featuresProgress, publishReplay } from '../src/run/replay-traffic.js';
import { createRunResources } from '../src/run/resources.js';
import type { RunClients } from '../src/run/servers.js';
import { pipelineSpecs } from '../src/run/services.js';

/** The backtests' integration tests: "production" seeded by the real pipeline, and the command run. */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs the real pipeline in `ns` on simulated traffic until the sink has stored a decision and a
 * vector for every transaction published: production's topics and tables, the stored history.
 */
export async function seedProduction(
  ns: RunNamespace,
  clients: RunClients,
  production: ClickHouseClient,
  history: SimulatorConfigInput,
): Promise<void> {
  await createRunResources({ ns, kafka: clients.kafka, registry: clients.registry, clickhouse: clients.clickhouse });
  const pipeline = await startPipeline({
    // Production decided every event with its score (a score late for the live budget would
    // have it decide by rules alone, which the backtest does not imitate).
    specs: pipelineSpecs(ns, servers(), { tuning: { decision: { DECISION_SCORE_BUDGET: '10m' } } }),
    kafka: clients.kafka,
    write: () => {},
    colour: false,
  });
  try {
    const probe = await featuresProgress(clients.kafka, ns);
    const published = await publishReplay({
      kafka: clients.kafka,
      serde: clients.serde,
      ns,
      events: simulate(history),
      speed: 'fast',
      lagCap: 0,
      consumed: () => probe.consumed(),
    });
    await probe.close();
    for (;;) {
      const result = await production.query({
        query: `SELECT least((SELECT uniqExact(event_id) FROM decisions), (SELECT uniqExact(event_id) FROM transactions_enriched)) AS n`,
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: string }>();
      if (Number(row?.n) >= published.transactions) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await pipeline.stop();
  }
}

export function runBacktest(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'e2e', 'src', 'backtest', 'main.ts'), ...args],
      {
        cwd: root,
        env: { ...process.env, ...servers() },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The figures: the last line of the output. */
export const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');

/** The flags naming production's database and topics in `ns`. */
export const productionFlags = (ns: RunNamespace) => [
  '--database',
  ns.clickhouseDatabase,
  '--transactions-topic',
  ns.topics.transactions,
  '--labels-topic',
  ns.topics.labels,
];
