import type { KafkaMessage, Message, Producer } from 'kafkajs';

const MAX_REQUEST_BYTES = 512 * 1024;
const MAX_REQUEST_MESSAGES = 500;
/**
 * A dead letter keeps at most this much of the original value, and of the reason: a message near the
 * broker's size limit must not make a dead letter over it (the consumer would crash on it forever).
 */
export const MAX_ORIGINAL_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 4 * 1024;

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
  /** Size of the original value when `original_value` holds only its first MAX_ORIGINAL_BYTES; else null. */
  original_size: number | null;
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
  const value = rejected.message.value;
  const key = rejected.message.key ?? null;
  const whole = value === null || value.length <= MAX_ORIGINAL_BYTES;
  const reason = errorMessage(error);
  return {
    original_value: whole ? value : value.subarray(0, MAX_ORIGINAL_BYTES),
    original_key: key && key.length > MAX_ORIGINAL_BYTES ? key.subarray(0, MAX_ORIGINAL_BYTES) : key,
    topic: rejected.topic,
    partition: rejected.partition,
    offset: Number(rejected.message.offset),
    error_type: error instanceof Error ? error.name : typeof error,
    error:
      reason.length > MAX_ERROR_CHARS ? `${reason.slice(0, MAX_ERROR_CHARS)}… (${reason.length} characters)` : reason,
    service,
    dead_lettered_at: now,
    original_size: whole ? null : value.length,
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
      // Sent in requests of bounded size: a batch of thousands of rejects in one request would go
      // over the broker's request limit and stop the consumer.
      let messages: Message[] = [];
      let bytes = 0;
      for (const r of rejected) {
        const letter = toDeadLetter(r, service, now());
        const value = encoder.encode(letter);
        messages.push({ key: r.topic, value, headers: { 'error-type': letter.error_type } });
        bytes += value.length;
        if (bytes >= MAX_REQUEST_BYTES || messages.length >= MAX_REQUEST_MESSAGES) {
          await producer.send({ topic, acks: -1, messages });
          messages = [];
          bytes = 0;
        }
      }
      if (messages.length > 0) await producer.send({ topic, acks: -1, messages });
    },
  };
}
