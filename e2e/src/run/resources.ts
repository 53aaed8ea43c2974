import type { ClickHouseClient, Kafka, RedisClient, SchemaRegistryClient } from '@pipeline/shared';
import { deleteMatching, deleteSubjects, identifier, sql } from '@pipeline/shared';
import { applyTopology, valueSubject } from '@pipeline/topology';
import { type RunNamespace, runTopicNames } from './namespace.js';

/** Creates the run's topics (schemas registered under their subjects) and its ClickHouse database. */
export async function createRunResources(options: {
  ns: RunNamespace;
  kafka: Kafka;
  registry: SchemaRegistryClient;
  clickhouse: ClickHouseClient;
}): Promise<void> {
  await applyTopology({ kafka: options.kafka, registry: options.registry, topics: options.ns.declarations });
  await options.clickhouse.command({
    query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(options.ns.clickhouseDatabase)}`,
  });
}

/**
 * Deletes the run's topics, their registry subjects, consumer groups, database and Redis keys; what
 * is already gone is not an error.
 */
export async function removeRunResources(options: {
  ns: RunNamespace;
  kafka: Kafka;
  registry: SchemaRegistryClient;
  clickhouse: ClickHouseClient;
  redis: RedisClient;
}): Promise<void> {
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = runTopicNames(options.ns).filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const { groups } = await admin.listGroups();
    const own = groups.map((g) => g.groupId).filter((g) => g.startsWith(options.ns.groupPrefix));
    if (own.length > 0) await admin.deleteGroups(own).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const subjects = new Set(runTopicNames(options.ns).map(valueSubject));
  await deleteSubjects(
    options.registry,
    (await options.registry.getAllSubjects()).filter((s) => subjects.has(s)),
  );
  await options.clickhouse.command({
    query: sql`DROP DATABASE IF EXISTS ${identifier(options.ns.clickhouseDatabase)}`,
  });
  // every node of a Redis Cluster, key by key (the run's keys span many slots)
  await deleteMatching(options.redis, `${escapeGlob(options.ns.redisPrefix)}*`);
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Resolves once every group is Stable with members, i.e. its consumers own their partitions: traffic
 * sent earlier could be skipped by a consumer that starts from the latest offset.
 */
export async function waitForGroups(kafka: Kafka, groups: string[], timeoutMs = 90_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups: described } = await admin.describeGroups(groups);
      const waiting = described.filter((g) => g.state !== 'Stable' || g.members.length === 0).map((g) => g.groupId);
      if (waiting.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`consumer groups not stable after ${timeoutMs} ms: ${waiting.join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}
