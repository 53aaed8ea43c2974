import { metrics } from '@opentelemetry/api';
import type { Admin, RedisClient } from '@pipeline/shared';
import {
  decodeProgress,
  encodeProgress,
  type LabelPartitionOffsets,
  type LabelProgress,
  type LabelSource,
} from './label-gate.js';

/** Records a labels partition's progress (after its batch is durable, before the commit). */
export async function recordProgress(
  redis: RedisClient,
  key: string,
  partition: number,
  p: LabelProgress,
): Promise<void> {
  await redis.hset(key, String(partition), encodeProgress(p));
}

/**
 * Progress from Redis (written by whichever instance owns each labels partition), offsets from
 * Kafka; each read is counted (`features_label_progress_reads`, `features_label_offsets_lookups`):
 * what the label gate costs, beside the batches it serves (`features_label_wait`).
 */
export function labelSource(options: {
  redis: RedisClient;
  admin: Admin;
  key: string;
  topic: string;
  groupId: string;
}): LabelSource {
  const { redis, admin, key, topic, groupId } = options;
  const meter = metrics.getMeter('pipeline.features');
  const progressReads = meter.createCounter('features_label_progress_reads', {
    description: 'Reads of the labels progress from Redis by the label gate (one HGETALL each)',
  });
  const offsetsLookups = meter.createCounter('features_label_offsets_lookups', {
    description:
      'Lookups of the labels topic offsets on the broker by the label gate (one admin request each; three with the low offsets and the group commits)',
  });
  return {
    async progress() {
      progressReads.add(1);
      const all = await redis.hgetall(key);
      return new Map(Object.entries(all).map(([partition, text]) => [Number(partition), decodeProgress(text)]));
    },
    async offsets({ committed: withCommitted = true } = {}): Promise<LabelPartitionOffsets[]> {
      offsetsLookups.add(1);
      // The low offsets, like the commits, matter only for a partition without progress.
      const [ends, [commits]] = await Promise.all([
        (withCommitted ? admin.fetchTopicOffsets(topic) : admin.fetchTopicOffsets(topic, { low: false })) as Promise<
          { partition: number; high: string; low?: string }[]
        >,
        withCommitted ? admin.fetchOffsets({ groupId, topics: [topic] }) : [],
      ]);
      const committed = new Map((commits?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends.map((e) => ({
        partition: e.partition,
        low: e.low === undefined ? -1n : BigInt(e.low),
        high: BigInt(e.high),
        committed: committed.get(e.partition) ?? -1n,
      }));
    },
  };
}
