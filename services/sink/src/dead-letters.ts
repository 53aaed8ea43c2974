import {
  type AvroSerde,
  type DeadLetter,
  type DeadLetterPublisher,
  type Decoder,
  errorMessage,
  type Logger,
  type Rejected,
} from '@pipeline/shared';
import { schemaFor } from '@pipeline/topology';

/** The topics whose messages carry a transaction's event time, by what they carry. */
export interface EventTimeTopics {
  transactions?: string;
  enriched: string;
  scores: string;
  decisions: string;
}

export interface EventTimeReader {
  /** Fetches the writer schemas of the original messages; call once per batch (throws when the registry is down). */
  prepare(letters: readonly DeadLetter[]): Promise<void>;
  /** The original transaction's event time (ms), or null: another topic, a tombstone, bytes that do not decode. */
  eventTime(letter: DeadLetter): number | null;
}

interface Reader {
  decoder: Decoder<unknown>;
  pick(value: unknown): number;
}

function reader<T>(serde: AvroSerde, schema: string, pick: (value: T) => number): Reader {
  return { decoder: serde.decoder<unknown>(schemaFor(schema).type), pick: (v) => pick(v as T) };
}

/** Dates a dead letter by decoding its original bytes, for the topics that carry transactions. */
export function createEventTimeReader(serde: AvroSerde, topics: EventTimeTopics): EventTimeReader {
  const readers = new Map<string, Reader>([
    [
      topics.enriched,
      reader<{ transaction: { event_time: number } }>(
        serde,
        'fraud/enriched-transaction',
        (v) => v.transaction.event_time,
      ),
    ],
    [topics.scores, reader<{ event_time: number }>(serde, 'fraud/score', (v) => v.event_time)],
    [topics.decisions, reader<{ event_time: number }>(serde, 'fraud/decision', (v) => v.event_time)],
  ]);
  if (topics.transactions) {
    readers.set(
      topics.transactions,
      reader<{ event_time: number }>(serde, 'fraud/transaction', (v) => v.event_time),
    );
  }
  return {
    async prepare(letters) {
      const byTopic = new Map<Reader, Buffer[]>();
      for (const l of letters) {
        const r = readers.get(l.topic);
        if (!r || l.original_value === null) continue;
        byTopic.set(r, [...(byTopic.get(r) ?? []), l.original_value]);
      }
      await Promise.all([...byTopic].map(([r, values]) => r.decoder.prepare(values)));
    },
    eventTime(letter) {
      const r = readers.get(letter.topic);
      if (!r || letter.original_value === null) return null;
      try {
        return r.pick(r.decoder.decode(letter.original_value));
      } catch {
        // Undecodable bytes are why many dead letters exist: they are stored without a date.
        return null;
      }
    },
  };
}

/**
 * The sink reads the dead-letter topic it also writes its own refusals to. A dead letter it cannot
 * store (undecodable, or refused) is logged and dropped, never published again: it would come back
 * to the sink, which could refuse it again, forever. Its original stays on the topic until retention.
 */
export function withoutLoop(
  publisher: DeadLetterPublisher,
  deadLetterTopic: string,
  logger: Logger,
): DeadLetterPublisher {
  return {
    async publish(rejected: readonly Rejected[]) {
      const own = rejected.filter((r) => r.topic === deadLetterTopic);
      for (const r of own) {
        logger.error(
          { topic: r.topic, partition: r.partition, offset: r.message.offset, reason: errorMessage(r.error) },
          'dead letter not stored; not dead-lettered again',
        );
      }
      await publisher.publish(own.length === 0 ? rejected : rejected.filter((r) => r.topic !== deadLetterTopic));
    },
  };
}
