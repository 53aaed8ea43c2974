import type { Admin } from 'kafkajs';

/** What ensureTopics needs of a topic declaration (topology/ provides them). */
export interface TopicSpec {
  name: string;
  partitions: number;
  cleanup: 'delete' | 'compact';
  retentionMs?: number;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics with fewer partitions than declared. Not grown automatically: that moves keys. */
  fewerPartitions: { name: string; declared: number; actual: number }[];
}

/** Creates the declared topics that do not exist yet; idempotent. */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  replicationFactor = 1,
): Promise<EnsureTopicsResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: [
          { name: 'cleanup.policy', value: s.cleanup },
          ...(s.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }]),
        ],
      })),
    });
  }
  const existing = specs.filter((s) => present.has(s.name));
  const fewerPartitions: EnsureTopicsResult['fewerPartitions'] = [];
  if (existing.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.name) });
    for (const spec of existing) {
      const actual = topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
      if (actual < spec.partitions) fewerPartitions.push({ name: spec.name, declared: spec.partitions, actual });
    }
  }
  return { created: missing.map((s) => s.name), existing: existing.map((s) => s.name), fewerPartitions };
}
