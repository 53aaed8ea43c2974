import { metrics } from '@opentelemetry/api';
import type { Admin } from '@pipeline/shared';
import type { LaneEnd } from './alignment.js';

/**
 * The topic's end offsets, for the aligner's `confirmed`; each lookup is counted
 * (`features_align_lookups`, two admin requests each) beside the fetches it saves a wait for.
 */
export function endOffsetsOf(admin: Admin, topic: string): () => Promise<LaneEnd[]> {
  const lookups = metrics.getMeter('pipeline.features').createCounter('features_align_lookups', {
    description:
      'Lookups of the transactions topic end offsets that confirm caught-up partitions (two admin requests each)',
  });
  return async () => {
    lookups.add(1);
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.map((e) => ({ partition: e.partition, high: BigInt(e.high) }));
  };
}
