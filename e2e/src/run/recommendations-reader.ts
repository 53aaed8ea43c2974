import type { Summary } from '@pipeline/loadtest';
import { type AvroSerde, type Kafka, readPublishTime } from '@pipeline/shared';
import { type Recommendation, recsysTopics } from '@pipeline/topology';
import { readerTally, type TallyStats } from './reader-tally.js';
import { startTopicReader } from './topic-reader.js';

/** The tally's figures, its ids being requests ranked. */
export type RecommendationStats = Omit<TallyStats, 'ids'> & {
  /** Distinct requests ranked. */
  requests: number;
};

export interface RecommendationsReader {
  stats(): RecommendationStats;
  /** Latency of the lists read since the last call, and how many of them were on rules alone. */
  takeWindow(): Summary & { rulesOnly: number };
  /** The requests among these that have no ranked list yet. */
  missing(requestIds: Iterable<string>): string[];
  /** Each request's first ranked list: its item ids in list order. */
  lists(): ReadonlyMap<string, readonly string[]>;
  stop(): Promise<RecommendationStats>;
}

/** Reads a recommendations topic from its start, counting lists per request and by path. */
export async function startRecommendationsReader(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topic: string;
  groupId: string;
  warmUpMs?: number;
}): Promise<RecommendationsReader> {
  const tally = readerTally<Recommendation>({
    idOf: (r) => r.request_id,
    verdictOf: verdict,
    pathOf: (r) => r.path,
    warmUpMs: options.warmUpMs ?? 5_000,
  });
  const items = new Map<string, readonly string[]>();
  const reader = await startTopicReader<Recommendation>({
    kafka: options.kafka,
    serde: options.serde,
    topic: options.topic,
    groupId: options.groupId,
    schema: recsysTopics.recommendations.valueSchema,
    keep: (list, message, arrived) => {
      const first = tally.add(list, arrived, readPublishTime(message.headers));
      if (first)
        items.set(
          list.request_id,
          list.items.map((i) => i.item_id),
        );
    },
  });

  const stats = (): RecommendationStats => {
    const { ids, ...counted } = tally.stats();
    return { ...counted, requests: ids };
  };
  return {
    stats,
    takeWindow: tally.takeWindow,
    missing: tally.missing,
    lists: () => items,
    stop: async () => {
      await reader.stop();
      return stats();
    },
  };
}

/** What a list says about its request, leaving out when it was made. */
function verdict(r: Recommendation): string {
  return JSON.stringify([
    r.items,
    r.path,
    r.rule_set_version,
    r.model_name,
    r.model_version,
    r.feature_set_version,
    r.experiment_variant,
  ]);
}
