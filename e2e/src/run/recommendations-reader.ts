import { type Summary, ValueRecorder } from '@pipeline/loadtest';
import { type AvroSerde, type Consumer, type Kafka, readPublishTime } from '@pipeline/shared';
import { type Recommendation, recsysTopics, schemaFor } from '@pipeline/topology';

export interface RecommendationStats {
  /** Ranked lists read, duplicates included. */
  received: number;
  /** Distinct requests ranked. */
  requests: number;
  /** Requests ranked more than once. */
  duplicates: number;
  /** Requests ranked more than once, not always the same way (items, path, versions). */
  differingDuplicates: number;
  /** MODEL_AND_RULES, or RULES_ONLY: the scores missed their budget (the fallback order). */
  byPath: Record<string, number>;
  /** The same, for requests published after the first `warmUpMs` of traffic. */
  steadyByPath: Record<string, number>;
  /** Arrival here minus the `publish-time-ms` header the load generator stamped on the request. */
  latencyMs: Summary;
  steadyLatencyMs: Summary;
}

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
  const warmUpMs = options.warmUpMs ?? 5_000;
  const decoder = options.serde.decoder<Recommendation>(schemaFor(recsysTopics.recommendations.valueSchema).type);
  const perRequest = new Map<string, number>();
  const firstSaid = new Map<string, string>();
  const items = new Map<string, readonly string[]>();
  const differing = new Set<string>();
  const byPath: Record<string, number> = {};
  const steadyByPath: Record<string, number> = {};
  const latency = new ValueRecorder();
  const steady = new ValueRecorder();
  let window = new ValueRecorder();
  let windowRulesOnly = 0;
  let firstPublished: number | undefined;
  let received = 0;

  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const arrived = Date.now();
      await decoder.prepare(batch.messages.map((m) => m.value));
      for (const message of batch.messages) {
        const list = decoder.decode(message.value);
        received++;
        perRequest.set(list.request_id, (perRequest.get(list.request_id) ?? 0) + 1);
        const said = verdict(list);
        const first = firstSaid.get(list.request_id);
        if (first === undefined) {
          firstSaid.set(list.request_id, said);
          items.set(
            list.request_id,
            list.items.map((i) => i.item_id),
          );
        } else if (first !== said) differing.add(list.request_id);
        byPath[list.path] = (byPath[list.path] ?? 0) + 1;
        if (list.path === 'RULES_ONLY') windowRulesOnly++;
        const published = readPublishTime(message.headers);
        if (published === undefined) continue;
        latency.record(arrived - published);
        window.record(arrived - published);
        firstPublished ??= published;
        if (published - firstPublished >= warmUpMs) {
          steady.record(arrived - published);
          steadyByPath[list.path] = (steadyByPath[list.path] ?? 0) + 1;
        }
      }
    },
  });

  const stats = (): RecommendationStats => {
    let duplicates = 0;
    for (const n of perRequest.values()) if (n > 1) duplicates++;
    return {
      received,
      requests: perRequest.size,
      duplicates,
      differingDuplicates: differing.size,
      byPath: { ...byPath },
      steadyByPath: { ...steadyByPath },
      latencyMs: latency.summary(),
      steadyLatencyMs: steady.summary(),
    };
  };
  return {
    stats,
    takeWindow: () => {
      const taken = { ...window.summary(), rulesOnly: windowRulesOnly };
      window = new ValueRecorder();
      windowRulesOnly = 0;
      return taken;
    },
    missing: (ids) => [...ids].filter((id) => !perRequest.has(id)),
    lists: () => items,
    stop: async () => {
      // Its group is the run's, removed with the run.
      await consumer.disconnect();
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
