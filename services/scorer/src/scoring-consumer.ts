import { metrics } from '@opentelemetry/api';
import {
  type AvroSerde,
  type BatchHandler,
  type ConsumedRecord,
  type ConsumerTuning,
  carriedHeaders,
  createBatchConsumer,
  createProducer,
  type IHeaders,
  type Kafka,
  type Logger,
} from '@pipeline/shared';
import { createTopicDeadLetters, schemaFor, valueSubject } from '@pipeline/topology';

export interface Scorer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Started, and its consumer in the group (see BatchConsumer.consuming). */
  readonly running: boolean;
}

/**
 * A use case of the scorer, declared (use-cases/): what it reads and writes, and how one of its
 * events is checked, scored on the served models and turned into score messages. The consumer,
 * producer, dead-lettering, dedup and lifecycle below are the same for every use case (DESIGN.md,
 * principle 9). `E` is its input event, `R` an event's scores as the pool gave them, `O` a message.
 */
export interface ScoringUseCase<E, R, O> {
  /** Schema references (`schemaFor`) of its input events and its score messages. */
  schemas: { input: string; output: string };
  /** The error that dead-letters the event unscored, or undefined. */
  check(event: E): Error | undefined;
  /** The event's id: the same event twice in one batch (a producer retry) is scored once. */
  id(event: E): string;
  /** The event's scores by every served model; a rejection fails the batch (it is consumed again). */
  score(event: E): Promise<R>;
  /** One message per served model, or the error that dead-letters the event. */
  messages(event: E, scores: R, scoredAt: number): O[] | Error;
  /** A message's Kafka key. */
  key(message: O): string;
  /** Scores what still waits (a micro-batch being filled): called once the consumer has stopped. */
  flush?(): void;
}

/**
 * Scores a consumed batch: checks each event, scores each id once (side by side: a use case
 * batches them on the pool as it likes), and returns the messages to produce, in event order with
 * each event's carried headers, and the records to dead-letter with their reasons.
 */
export async function scoreRecords<E, R, O>(
  useCase: ScoringUseCase<E, R, O>,
  records: readonly ConsumedRecord<E>[],
  now: () => number,
): Promise<{
  messages: { value: O; headers: IHeaders | undefined }[];
  rejected: { record: ConsumedRecord<E>; error: unknown }[];
}> {
  const rejected: { record: ConsumedRecord<E>; error: unknown }[] = [];
  const valid: ConsumedRecord<E>[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const error = useCase.check(record.value);
    if (error) rejected.push({ record, error });
    else if (!seen.has(useCase.id(record.value))) {
      seen.add(useCase.id(record.value));
      valid.push(record);
    }
  }
  const scores = await Promise.all(valid.map((record) => useCase.score(record.value)));
  const scoredAt = now();
  const messages = valid.flatMap((record, i) => {
    const outcome = useCase.messages(record.value, scores[i] as R, scoredAt);
    if (outcome instanceof Error) {
      rejected.push({ record, error: outcome });
      return [];
    }
    const headers = carriedHeaders(record.headers);
    return outcome.map((value) => ({ value, headers }));
  });
  return { messages, rejected };
}

export interface ScoringConsumerOptions<E, R, O> {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  service: string;
  groupId: string;
  /** The use case's input (`schemas.input`) in, its scores (`schemas.output`) out. */
  topics: { enriched: string; scores: string; deadLetters: string };
  /** What is scored, and how (use-cases/): the machinery here is the same for every use case. */
  useCase: ScoringUseCase<E, R, O>;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** The consumer stopped for good: the service should exit. */
  onCrash?: (error: Error) => void;
  tuning?: ConsumerTuning;
  now?: () => number;
}

/** What a scorer of one use case is given besides its declaration. */
export type ConsumerOptions = Omit<ScoringConsumerOptions<unknown, unknown, unknown>, 'useCase'>;

/**
 * Consumes one use case's input, scores it (`scoreRecords`), and produces its score messages with
 * acks before the offsets are committed; what the use case refuses is dead-lettered with the reason.
 */
export async function createScoringConsumer<E, R, O>(options: ScoringConsumerOptions<E, R, O>): Promise<Scorer> {
  const { kafka, serde, logger, topics, useCase, now = Date.now } = options;
  const scored = metrics.getMeter('pipeline.scorer').createCounter('scorer_scores', {
    description: 'Score events emitted',
  });

  const producer = createProducer(kafka);
  const encoder = await serde.encoder<O>(valueSubject(topics.scores), schemaFor(useCase.schemas.output).type);
  const deadLetters = await createTopicDeadLetters({
    producer,
    serde,
    topic: topics.deadLetters,
    service: options.service,
  });

  const handler: BatchHandler<E> = async (records) => {
    const { messages, rejected } = await scoreRecords(useCase, records, now);
    if (messages.length > 0) {
      await producer.send({
        topic: topics.scores,
        acks: -1,
        messages: messages.map(({ value, headers }) => ({
          key: useCase.key(value),
          value: encoder.encode(value),
          headers,
        })),
      });
    }
    scored.add(messages.length);
    return { rejected };
  };

  const consumer = createBatchConsumer<E>({
    kafka,
    groupId: options.groupId,
    decoders: { [topics.enriched]: serde.decoder<E>(schemaFor(useCase.schemas.input).type) },
    handler,
    deadLetters,
    logger,
    fromBeginning: options.fromBeginning ?? false,
    // Batches of several partitions are scored side by side (and share a use case's micro-batches).
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
    ...options.tuning,
    onCrash: options.onCrash,
  });

  let running = false;
  return {
    get running() {
      return running && consumer.consuming;
    },
    async start() {
      await producer.connect();
      await consumer.start();
      running = true;
    },
    async stop() {
      running = false;
      await consumer.stop();
      useCase.flush?.();
      await producer.disconnect();
    },
  };
}
