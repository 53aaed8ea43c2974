import {
  type BatchConsumer,
  type BatchHandler,
  type ConsumerTuning,
  carriedHeaders,
  createBatchConsumer,
  type DeadLetterPublisher,
  type Decoder,
  type Kafka,
  type Logger,
  type Producer,
} from '@pipeline/shared';

/** Bytes in, bytes out: no schema, no decoding. */
const raw: Decoder<Buffer | null> = { prepare: async () => {}, decode: (message) => message };

/**
 * One hop of the identity pipeline: every message of `from` produced unchanged (key, value, carried
 * headers) to `to`, through the same consumer loop as the services (produce with acks, then commit).
 * It does no work, so a chain of relays measures what Kafka and the client cost on their own.
 */
export function createRelay(options: {
  kafka: Kafka;
  producer: Producer;
  from: string;
  to: string;
  groupId: string;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  partitionsConsumedConcurrently?: number;
  tuning?: ConsumerTuning;
  onCrash?: (error: Error) => void;
}): BatchConsumer {
  const handler: BatchHandler<Buffer | null> = async (records) => {
    await options.producer.send({
      topic: options.to,
      acks: -1,
      messages: records.map((r) => ({ key: r.key, value: r.value, headers: carriedHeaders(r.headers) })),
    });
  };
  return createBatchConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    decoders: { [options.from]: raw },
    handler,
    deadLetters: options.deadLetters,
    logger: options.logger,
    ...(options.partitionsConsumedConcurrently
      ? { partitionsConsumedConcurrently: options.partitionsConsumedConcurrently }
      : {}),
    ...(options.onCrash ? { onCrash: options.onCrash } : {}),
    ...options.tuning,
  });
}
