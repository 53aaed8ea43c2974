import { freePort } from '@pipeline/e2e/src/processes/service-process.js';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { connectRedis, dataNodes, type Kafka, type RedisClient } from '@pipeline/shared';
import { bearer, createTopic, type RedisCluster, servers, startRedisCluster, uniqueName } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  committed,
  createTopics,
  deletePrefix,
  dumpState,
  principals,
  produceInputs,
  readEnriched,
  startService,
  stopService,
  type Topics,
  testKafka,
  waitFor,
} from './harness.js';
import { simInputs } from './sim-inputs.js';

// Labels produced after every transaction: the label gate makes the vectors the event-time ones.
// Ten days, as the fraud rates look a week back.
const { txs, labels } = simInputs(29, 150, 10);
const kafka: Kafka = testKafka('features-cluster-test');
let topics: Topics;
let cluster: RedisCluster;
let onOne: RedisClient;
let onCluster: RedisClient;
const cleanups: (() => Promise<void>)[] = [];

// a sample of entities for the read API, customers and terminals
const sample = [
  ...[...new Set(txs.map((t) => t.customer_id))].slice(0, 15).map((id) => `customer/${id}`),
  ...[...new Set(txs.map((t) => t.terminal_id))].slice(0, 15).map((id) => `terminal/${id}`),
];

/** The service as a process over the whole input on `redis`: its vectors, its state and read API answers. */
async function run(tag: string, redis: RedisClient, env: Record<string, string>) {
  const prefix = `${uniqueName(tag)}:`;
  cleanups.push(() => deletePrefix(redis, prefix));
  const group = uniqueName(`${tag}-group`);
  const enriched = uniqueName(`${tag}-enriched`);
  await createTopic(kafka, enriched);
  const apiPort = await freePort();
  const child = startService(topics, { group, prefix, enriched, apiPort, env });
  const api: Record<string, unknown> = {};
  try {
    await waitFor(
      `${tag} run to commit every transaction`,
      async () => (await committed(kafka, group, topics.transactions)) >= txs.length,
      90_000,
    );
    for (const path of sample) {
      const response = await fetch(`http://127.0.0.1:${apiPort}/features/${path}`, {
        headers: bearer(principals.only.read),
      });
      api[path] = { status: response.status, body: await response.json() };
    }
  } finally {
    await stopService(child);
  }
  const vectors = new Map<string, number[]>();
  for (const e of await readEnriched(kafka, enriched)) vectors.set(e.transaction.event_id, e.features.values);
  const keysPerNode = await Promise.all(dataNodes(redis).map(async (node) => (await node.keys(`${prefix}*`)).length));
  return { vectors, state: await dumpState(redis, prefix), api, keysPerNode };
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  onOne = await connectRedis({
    REDIS_URL: servers().REDIS_URL,
    REDIS_TLS_CA: servers().REDIS_TLS_CA,
    REDIS_CLUSTER: false,
  });
  onCluster = await connectRedis({ REDIS_URL: cluster.url, REDIS_CLUSTER: true });
  topics = await createTopics(kafka, 'featcl');
  await produceInputs(kafka, topics, txs, labels);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  onOne?.disconnect();
  onCluster?.disconnect();
  await cluster?.stop();
});

describe('the feature service on a three-node Redis Cluster', () => {
  it('computes the same vector for every event, the same state and the same read API answers as on one server', async () => {
    const one = await run('one', onOne, {});
    const spread = await run('cluster', onCluster, cluster.env);

    expect(one.vectors.size).toBe(txs.length);
    expect(spread.vectors.size).toBe(txs.length);
    for (const [id, values] of one.vectors) expect(spread.vectors.get(id), id).toEqual(values);
    // not trivially alike: histories, several terminals, fraud labels counted
    const values = [...one.vectors.values()];
    expect(values.some((v) => (v[fraudFeatureSet.index('customer_amount_count_7d')] ?? 0) > 3)).toBe(true);
    expect(values.some((v) => (v[fraudFeatureSet.index('customer_terminal_distinct_7d')] ?? 0) > 1)).toBe(true);
    expect(values.some((v) => (v[fraudFeatureSet.index('terminal_fraud_rate_7d')] ?? 0) > 0)).toBe(true);

    expect(Object.keys(spread.state).length).toBeGreaterThan(txs.length / 10);
    expect(spread.state).toEqual(one.state);
    expect(spread.api).toEqual(one.api);
    expect(Object.values(one.api).every((a) => (a as { status: number }).status === 200)).toBe(true);
    // the state really is spread over the three masters
    expect(spread.keysPerNode).toHaveLength(3);
    for (const n of spread.keysPerNode) expect(n).toBeGreaterThan(0);
  }, 240_000);

  it('refuses to start when REDIS_CLUSTER does not match the server (exit 78, configuration)', async () => {
    const code = async (env: Record<string, string>) => {
      const child = startService(topics, { group: uniqueName('refused'), prefix: `${uniqueName('refused')}:`, env });
      // a service that starts anyway is stopped, and fails the test with exit code null
      const timer = setTimeout(() => void stopService(child, 'SIGKILL'), 20_000);
      const exit = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      clearTimeout(timer);
      return exit;
    };
    expect(await code({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'false' })).toBe(78);
    expect(await code({ REDIS_URL: servers().REDIS_URL, REDIS_CLUSTER: 'true' })).toBe(78);
    expect(await code({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'yes' })).toBe(78);
  }, 60_000);
});
