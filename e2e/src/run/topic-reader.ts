import type { AvroSerde, Consumer, Kafka, KafkaMessage } from '@pipeline/shared';
import { schemaFor } from '@pipeline/topology';

export interface TopicReader {
  /** Leaves the topic; the group is the run's, removed with the run. */
  stop(): Promise<void>;
}

/**
 * Reads a topic from its start in its own group, decoding each batch with the run's serde, and hands
 * every record, in order, to `keep` with its message and when its batch arrived here.
 */
export async function startTopicReader<T>(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topic: string;
  groupId: string;
  /** The value's schema, as `schemaFor` names it. */
  schema: string;
  keep(record: T, message: KafkaMessage, arrived: number): void | Promise<void>;
}): Promise<TopicReader> {
  const decoder = options.serde.decoder<T>(schemaFor(options.schema).type);
  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const arrived = Date.now();
      await decoder.prepare(batch.messages.map((m) => m.value));
      for (const message of batch.messages) {
        const kept = options.keep(decoder.decode(message.value), message, arrived);
        // Most keepers are synchronous: no extra turn per record for them.
        if (kept) await kept;
      }
    },
  });
  return { stop: () => consumer.disconnect() };
}
