import type { AvroSerde, DeadLetter, Kafka } from '@pipeline/shared';
import {
  type EnrichedRequest,
  type EnrichedTransaction,
  type RecommendationRequest,
  recsysTopics,
  schemaFor,
  type Transaction,
} from '@pipeline/topology';
import type { RunNamespace } from './namespace.js';
import { startTopicReader } from './topic-reader.js';

export interface DeadLetterStats {
  total: number;
  /** `<service> <error_type>` → count, with one example reason each. */
  byReason: Record<string, { count: number; example: string }>;
}

export interface DeadLettersReader {
  stats(): DeadLetterStats;
  /**
   * Transaction event ids some service dead-lettered (its transaction or its enriched event), and
   * request ids (its request or its enriched request) when the run carries recommendations.
   */
  eventIds(): ReadonlySet<string>;
  /** The original message keys dead-lettered (as text), with how many times each. */
  keys(): ReadonlyMap<string, number>;
  stop(): Promise<DeadLetterStats>;
}

/** Reads a run's dead-letter topic from its start: what was refused, by whom, why, for which events. */
export async function startDeadLettersReader(options: {
  kafka: Kafka;
  serde: AvroSerde;
  ns: RunNamespace;
  groupId: string;
}): Promise<DeadLettersReader> {
  const { ns, serde } = options;
  const transactions = serde.decoder<Transaction>(schemaFor('fraud/transaction').type);
  const enriched = serde.decoder<EnrichedTransaction>(schemaFor('fraud/enriched-transaction').type);
  const requests = serde.decoder<RecommendationRequest>(schemaFor(recsysTopics.requests.valueSchema).type);
  const enrichedRequests = serde.decoder<EnrichedRequest>(schemaFor(recsysTopics.enrichedRequests.valueSchema).type);
  const recsys = ns.recsys;
  /** The event id inside a dead letter's original bytes, for the topics that carry transactions or requests. */
  const originalId: Record<string, (bytes: Buffer) => Promise<string>> = {
    [ns.topics.transactions]: async (bytes) => {
      await transactions.prepare([bytes]);
      return transactions.decode(bytes).event_id;
    },
    [ns.topics.enriched]: async (bytes) => {
      await enriched.prepare([bytes]);
      return enriched.decode(bytes).transaction.event_id;
    },
    ...(recsys
      ? {
          [recsys.requests]: async (bytes: Buffer) => {
            await requests.prepare([bytes]);
            return requests.decode(bytes).request_id;
          },
          [recsys.enrichedRequests]: async (bytes: Buffer) => {
            await enrichedRequests.prepare([bytes]);
            return enrichedRequests.decode(bytes).request.request_id;
          },
        }
      : {}),
  };
  const byReason: DeadLetterStats['byReason'] = {};
  const ids = new Set<string>();
  const keys = new Map<string, number>();
  let total = 0;

  const reader = await startTopicReader<DeadLetter>({
    kafka: options.kafka,
    serde,
    topic: ns.topics.deadLetters,
    groupId: options.groupId,
    schema: 'pipeline/dead-letter',
    keep: async (letter) => {
      total++;
      const reason = `${letter.service} ${letter.error_type}`;
      const entry = byReason[reason] ?? { count: 0, example: letter.error };
      entry.count++;
      byReason[reason] = entry;
      if (letter.original_key) {
        const key = letter.original_key.toString('utf8');
        keys.set(key, (keys.get(key) ?? 0) + 1);
      }
      const idOf = originalId[letter.topic];
      if (!idOf || !letter.original_value) return;
      try {
        ids.add(await idOf(letter.original_value));
      } catch {
        // Malformed bytes: counted above, no event id to match.
      }
    },
  });

  const stats = () => ({ total, byReason: structuredClone(byReason) });
  return {
    stats,
    eventIds: () => ids,
    keys: () => keys,
    stop: async () => {
      await reader.stop();
      return stats();
    },
  };
}
