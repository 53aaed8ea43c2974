import type { Admin } from '@pipeline/shared';
import type { Redis } from 'ioredis';
import {
  decodeProgress,
  encodeProgress,
  type LabelPartitionOffsets,
  type LabelProgress,
  type LabelSource,
} from './label-gate.js';

/** Records a labels partition's progress (after its batch is durable, before the commit). */
export async function recordProgress(redis: Redis, key: string, partition: number, p: LabelProgress): Promise<void> {
  await redis.hset(key, String(partition), encodeProgress(p));
}

/** Progress from Redis (written by whichever instance owns each labels partition), offsets from Kafka. */
export function labelSource(options: {
  redis: Redis;
  admin: Admin;
  key: string;
  topic: string;
  groupId: string;
}): LabelSource {
  const { redis, admin, key, topic, groupId } = options;
  return {
    async progress() {
      const all = await redis.hgetall(key);
      return new Map(Object.entries(all).map(([partition, text]) => [Number(partition), decodeProgress(text)]));
    },
    async offsets(): Promise<LabelPartitionOffsets[]> {
      const [ends, [commits]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const committed = new Map((commits?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends.map((e) => ({
        partition: e.partition,
        low: BigInt(e.low),
        high: BigInt(e.high),
        committed: committed.get(e.partition) ?? -1n,
      }));
    },
  };
}
