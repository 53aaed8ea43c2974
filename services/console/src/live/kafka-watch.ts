import { type Admin, errorMessage } from '@pipeline/shared';
import { committedTopics, type GroupOffsets, type LagRow, lagRows, type TopicEnds, totalEnd } from './lag.js';

export interface KafkaReading {
  /** Summed high watermarks of each watched topic (null: could not be read). */
  totals: Record<string, number | null>;
  lag: LagRow[];
  errors: string[];
}

/**
 * One look at Kafka through the admin client: the watched topics' ends (their totals make the
 * throughput) and each group's committed offsets against the ends of the topics it reads.
 */
export async function readKafka(
  admin: Admin,
  topics: readonly string[],
  groups: readonly string[],
): Promise<KafkaReading> {
  const errors: string[] = [];
  const ends = new Map<string, TopicEnds[]>();
  // A missing topic would keep kafkajs retrying its metadata for seconds: skip it, saying so.
  const existing = new Set(await admin.listTopics());
  const endsOf = async (topic: string): Promise<TopicEnds[] | undefined> => {
    if (ends.has(topic)) return ends.get(topic);
    if (!existing.has(topic)) {
      errors.push(`topic ${topic} does not exist`);
      return undefined;
    }
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, offsets);
      return offsets;
    } catch (error) {
      errors.push(`topic ${topic}: ${errorMessage(error)}`);
      return undefined;
    }
  };
  const totals: Record<string, number | null> = {};
  for (const topic of topics) {
    const topicEnds = await endsOf(topic);
    totals[topic] = topicEnds ? totalEnd(topicEnds) : null;
  }
  const lag: LagRow[] = [];
  for (const group of groups) {
    let offsets: GroupOffsets[];
    try {
      offsets = committedTopics(await admin.fetchOffsets({ groupId: group }));
    } catch (error) {
      errors.push(`group ${group}: ${errorMessage(error)}`);
      continue;
    }
    for (const { topic } of offsets) await endsOf(topic);
    lag.push(...lagRows(group, offsets, ends));
  }
  return { totals, lag, errors };
}
