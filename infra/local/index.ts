import { withLock } from './lock.js';
import { localPath } from './paths.js';
import { logFile, sleep, tailLog } from './process.js';
import type { LocalServer } from './server.js';
import { defaultSet, type ServerSet } from './server-set.js';
import { clickhouseServer } from './servers/clickhouse.js';
import { kafkaServer } from './servers/kafka.js';
import { mlflowServer } from './servers/mlflow.js';
import { redisServer } from './servers/redis.js';
import { schemaRegistryServer } from './servers/schema-registry.js';

export { localEnv, MLFLOW_VAR, SECURITY_VARS, SERVER_VARS, type ServerEnv, serversFromEnv, setEnv } from './env.js';
export { localPath } from './paths.js';
export { tcpExchange } from './probes.js';
export { ensureCredentials } from './security/credentials.js';
export { applyAcls, pipelineAcls, removeAcls } from './security/kafka-acls.js';
export { serviceAclRules, serviceKeyPatterns } from './security/redis-acl.js';
export type { LocalServer } from './server.js';
export { defaultSet, type ServerSet } from './server-set.js';
export { installMlflow, mlflowServer } from './servers/mlflow.js';
export { ensureDebianPackages, findExecutable } from './system.js';

/**
 * The servers of a set: Kafka, the Schema Registry, Redis and ClickHouse, and with `mlflow` MLflow too
 * (infra:up and npm test start it; the demo, bench and chaos runs use the file registry and skip it).
 */
export function localServers(set: ServerSet = defaultSet, options: { mlflow?: boolean } = {}): LocalServer[] {
  const core = [kafkaServer(set), schemaRegistryServer(set), redisServer(set), clickhouseServer(set)];
  return options.mlflow ? [...core, mlflowServer(set)] : core;
}

/** What `npm run infra:up` and `npm test` start. */
export const infraServers = (): LocalServer[] => localServers(defaultSet, { mlflow: true });

export class ServerStartError extends Error {
  constructor(
    readonly server: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

type Report = (line: string) => void;

/**
 * Starts what is not already answering; returns the names of the servers it started. One `up` at a
 * time per `.local/` (a lock file): a second waits, then finds the servers answering.
 */
export async function up(
  report: Report = console.log,
  servers = infraServers(),
  lockFile = localPath('run', 'infra.lock'),
): Promise<string[]> {
  return withLock(lockFile, () => startServers(report, servers), {
    onWait: (holder) => report(`  waiting for another infra:up (process ${holder}) to finish`),
  });
}

async function startServers(report: Report, servers: LocalServer[]): Promise<string[]> {
  const started: string[] = [];
  // Installs print progress and may call apt-get: one at a time keeps their output readable.
  for (const server of servers) {
    if (!(await server.probe())) await server.install();
  }
  await Promise.all(
    servers.map(async (server) => {
      if (await server.probe()) {
        report(`  ${server.name.padEnd(16)} already up at ${server.address}`);
        return;
      }
      const t0 = Date.now();
      await server.start();
      const deadline = t0 + server.startTimeoutSec * 1000;
      while (!(await server.probe())) {
        if (Date.now() > deadline) {
          throw new ServerStartError(
            server.name,
            `${server.name} did not answer within ${server.startTimeoutSec}s; its log is ${logFile(server.processName)}:\n${tailLog(server.processName)}`,
          );
        }
        await sleep(250);
      }
      started.push(server.name);
      report(`  ${server.name.padEnd(16)} up at ${server.address} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    }),
  );
  for (const server of servers) await server.configure?.();
  for (const server of servers) {
    if (started.includes(server.name)) await server.warmUp?.((line) => report(`  ${server.name.padEnd(16)} ${line}`));
  }
  return started;
}

export async function down(report: Report = console.log, servers = infraServers(), only?: string[]): Promise<void> {
  // Reverse order: clients of Kafka (the registry) stop before it.
  for (const server of [...servers].reverse()) {
    if (only && !only.includes(server.name)) continue;
    const stopped = await server.stop();
    report(`  ${server.name.padEnd(16)} ${stopped ? 'stopped' : 'not running'}`);
  }
}

export async function status(servers = infraServers()): Promise<{ name: string; address: string; up: boolean }[]> {
  return Promise.all(servers.map(async (s) => ({ name: s.name, address: s.address, up: await s.probe() })));
}
