import type { KafkaMessage, Producer } from 'kafkajs';
import { errorMessage } from '../errors.js';
import type { Encoder } from '../serde/avro-serde.js';

/** The dead-letter record, as schemas/pipeline/dead-letter.avsc declares it. */
export interface DeadLetter {
  original_value: Buffer | null;
  original_key: Buffer | null;
  topic: string;
  partition: number;
  offset: number;
  error_type: string;
  error: string;
  service: string;
  dead_lettered_at: number;
}

export interface Rejected {
  topic: string;
  partition: number;
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>;
  error: unknown;
}

export interface DeadLetterPublisher {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  publish(rejected: readonly Rejected[]): Promise<void>;
}

export function toDeadLetter(rejected: Rejected, service: string, now: number): DeadLetter {
  const { error } = rejected;
  return {
    original_value: rejected.message.value,
    original_key: rejected.message.key ?? null,
    topic: rejected.topic,
    partition: rejected.partition,
    offset: Number(rejected.message.offset),
    error_type: error instanceof Error ? error.name : typeof error,
    error: errorMessage(error),
    service,
    dead_lettered_at: now,
  };
}

export function createDeadLetterPublisher(options: {
  producer: Producer;
  encoder: Encoder<DeadLetter>;
  topic: string;
  service: string;
  now?: () => number;
}): DeadLetterPublisher {
  const { producer, encoder, topic, service, now = Date.now } = options;
  return {
    async publish(rejected) {
      if (rejected.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: rejected.map((r) => {
          const letter = toDeadLetter(r, service, now());
          return { key: r.topic, value: encoder.encode(letter), headers: { 'error-type': letter.error_type } };
        }),
      });
    },
  };
}
