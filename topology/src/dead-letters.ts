import {
  type AvroSerde,
  createDeadLetterPublisher,
  type DeadLetter,
  type DeadLetterPublisher,
  type Producer,
} from '@pipeline/shared';
import { schemaFor } from './schemas.js';
import { valueSubject } from './topic.js';

/** A service's dead-letter publisher to `topic`, encoding with the pipeline's dead-letter schema. */
export async function createTopicDeadLetters(options: {
  producer: Producer;
  serde: AvroSerde;
  topic: string;
  service: string;
}): Promise<DeadLetterPublisher> {
  const encoder = await options.serde.encoder<DeadLetter>(
    valueSubject(options.topic),
    schemaFor('pipeline/dead-letter').type,
  );
  return createDeadLetterPublisher({
    producer: options.producer,
    encoder,
    topic: options.topic,
    service: options.service,
  });
}
