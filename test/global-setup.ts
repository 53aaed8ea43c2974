import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { SERVER_VARS, type ServerEnv, serversFromEnv } from '@pipeline/infra/env';
import { httpsOk } from '@pipeline/infra/probes';
import { kafkaSecurityOf } from '@pipeline/shared';
import type { TestProject } from 'vitest/node';
import { cleanUpRun } from './cleanup.js';
import { newRunToken } from './run-token.js';

const HOW_TO = `Integration tests need Kafka, a Schema Registry, Redis and ClickHouse (and MLflow, at MLFLOW_TRACKING_URI or
  started locally when unset, for the tests that use it). Either:
  - run 'npm test', which starts local servers itself, or
  - run 'npm run infra:up', export the variables it prints, then run 'npm run test:integration', or
  - have a Docker engine reachable and none of ${SERVER_VARS.join(', ')} set: testcontainers starts them.`;

/**
 * Finds the servers for the integration project: from the environment if set, else from
 * testcontainers if Docker is reachable, else fails at once saying how to start them. Never skips.
 * On servers it did not start, the teardown deletes the topics and consumer groups this run made.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  let configured: ServerEnv | undefined;
  try {
    configured = serversFromEnv();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${HOW_TO}`);
  }
  const token = newRunToken();
  project.provide('runToken', token);
  if (configured) {
    await checkReachable(configured);
    project.provide('servers', configured);
    return () =>
      cleanUpRun(
        configured.KAFKA_BROKERS.split(','),
        kafkaSecurityOf(configured),
        configured.SCHEMA_REGISTRY_URL,
        token,
      );
  }
  const { dockerReachable, startContainers } = await import('./containers.js');
  if (!(await dockerReachable())) throw new Error(`No servers configured and no Docker engine reachable.\n${HOW_TO}`);
  const { servers, stop } = await startContainers();
  project.provide('servers', servers);
  // The containers go, with all the run made in them.
  return stop;
}

async function checkReachable(servers: ServerEnv): Promise<void> {
  const failures: string[] = [];
  const http = async (name: string, address: string, ca?: string) => {
    const url = new URL(address);
    url.username = '';
    url.password = '';
    if (url.protocol === 'https:' && ca) {
      // fetch cannot be given a CA: the local servers' certificates are signed by the set's own.
      if (!(await httpsOk(url.toString(), readFileSync(ca), 3000)))
        failures.push(`${name}: ${url} unreachable over TLS`);
      return;
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (!response.ok) failures.push(`${name}: ${url} answered ${response.status}`);
    } catch (error) {
      failures.push(`${name}: ${url} unreachable (${(error as Error).message})`);
    }
  };
  const tcp = (name: string, host: string, port: number) =>
    new Promise<void>((resolve) => {
      const socket = connect({ host, port, timeout: 3000 });
      const fail = (why: string) => {
        failures.push(`${name}: ${host}:${port} ${why}`);
        socket.destroy();
        resolve();
      };
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => fail('timed out'));
      socket.once('error', (error) => fail(`unreachable (${error.message})`));
    });
  const [kafkaHost = '', kafkaPort = '0'] = (servers.KAFKA_BROKERS.split(',')[0] ?? '').split(':');
  const redis = new URL(servers.REDIS_URL);
  await Promise.all([
    tcp('KAFKA_BROKERS', kafkaHost, Number(kafkaPort)),
    tcp('REDIS_URL', redis.hostname, Number(redis.port || 6379)),
    http('SCHEMA_REGISTRY_URL', `${servers.SCHEMA_REGISTRY_URL}/subjects`),
    http('CLICKHOUSE_URL', `${servers.CLICKHOUSE_URL}/ping`, servers.CLICKHOUSE_TLS_CA),
    ...(servers.MLFLOW_TRACKING_URI ? [http('MLFLOW_TRACKING_URI', `${servers.MLFLOW_TRACKING_URI}/health`)] : []),
  ]);
  if (failures.length > 0) throw new Error(`servers not answering:\n  ${failures.join('\n  ')}\n${HOW_TO}`);
}
