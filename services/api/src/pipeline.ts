import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type AvroSerde,
  type Consumer,
  createProducer,
  type DeadLetter,
  type Decoder,
  type Encoder,
  errorMessage,
  type Kafka,
  type Logger,
  type Producer,
  PUBLISH_TIME_HEADER,
  requestCounter,
} from '@pipeline/shared';
import { type Decision, type EnrichedTransaction, schemaFor, type Transaction, valueSubject } from '@pipeline/topology';
import type { Stranded } from './stranded.js';
import { transactionType } from './validate.js';
import type { Waiters } from './waiters.js';

export interface ApiPipelineOptions {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  waiters: Waiters;
  stranded: Pick<Stranded, 'deadLettered' | 'decided'>;
  topics: { transactions: string; enriched: string; decisions: string; deadLetters: string };
  /** This instance's consumer group: unique per instance (`groupIdFor`), never shared. */
  groupId: string;
  /** How long the broker may hold an idle fetch (a fetch answers on its first byte). */
  fetchMaxWaitMs?: number;
  /** Pause between attempts to reach Kafka while it is not reachable. */
  retryMs?: number;
}

export interface ApiPipeline {
  /** Why a transaction cannot be taken now (Kafka not reachable, the reader not at the end yet), or null. */
  unavailable(): string | null;
  /** Produces a transaction as the load generator does: keyed by customer_id, `publish-time-ms` header, acks -1. */
  produce(transaction: Transaction): Promise<void>;
  /** Produces decisions to the decisions topic as the engine does: keyed by customer_id, acks -1. */
  produceDecisions(decisions: readonly Decision[]): Promise<void>;
  /** Connects in the background, retrying until Kafka answers; `unavailable()` says how far it got. */
  start(): void;
  stop(): Promise<void>;
}

/** Reads the event id of a topic's records. */
interface EventIdReader {
  decoder: Decoder<unknown>;
  eventId(value: unknown): string;
}

/** A group of its own for each instance: it must read every partition of the decisions topic, not a share. */
export function groupIdFor(prefix: string): string {
  return `${prefix}.${hostname()}.${process.pid}.${randomUUID().slice(0, 8)}`;
}

/**
 * The API's side of Kafka: a producer to the transactions topic (and, for stranded fallbacks, the
 * decisions topic), and one consumer reading the decisions, enriched and dead-letter topics from
 * their end, every partition, handing each record to the waiting requests (matched by event id) and
 * each dead-lettered transaction to `stranded`. Nothing is committed: a restarted instance has no
 * request waiting for anything older, so it starts at the end again (a new group).
 */
export function createApiPipeline(options: ApiPipelineOptions): ApiPipeline {
  const { kafka, serde, logger, waiters, topics } = options;
  const retryMs = options.retryMs ?? 1_000;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let encoder: Encoder<Transaction> | undefined;
  let decisionEncoder: Encoder<Decision> | undefined;
  let reason: string | null = 'connecting to Kafka';
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let undecodable = 0;

  const decisionDecoder = serde.decoder<Decision>(schemaFor('fraud/decision').type);
  const enrichedDecoder = serde.decoder<EnrichedTransaction>(schemaFor('fraud/enriched-transaction').type);
  const deadLetterDecoder = serde.decoder<DeadLetter>(schemaFor('pipeline/dead-letter').type);
  const transactionDecoder = serde.decoder<Transaction>(transactionType);

  /** Not ours to dead-letter (the producing service did or will): a reader skips it. */
  function skip(error: unknown, topic: string): void {
    if (undecodable++ % 1000 === 0) {
      logger.warn({ err: error, topic, undecodable }, 'skipped a record that does not decode');
    }
  }

  /** The topics whose dead letters strand an answered event, and how to read the event id of their records. */
  const strandedFrom = new Map<string, EventIdReader>([
    [topics.transactions, { decoder: transactionDecoder, eventId: (v) => (v as Transaction).event_id }],
    [topics.enriched, { decoder: enrichedDecoder, eventId: (v) => (v as EnrichedTransaction).transaction.event_id }],
  ]);

  /** Hands the event id of each dead-lettered transaction (or enriched event) to `stranded`. */
  async function readDeadLetters(values: readonly (Buffer | null)[]): Promise<void> {
    await deadLetterDecoder.prepare(values);
    const originals: { reader: EventIdReader; value: Buffer | null }[] = [];
    for (const value of values) {
      try {
        const letter = deadLetterDecoder.decode(value);
        const reader = strandedFrom.get(letter.topic);
        if (reader) originals.push({ reader, value: letter.original_value });
      } catch (error) {
        skip(error, topics.deadLetters);
      }
    }
    for (const reader of strandedFrom.values()) {
      await reader.decoder.prepare(originals.filter((o) => o.reader === reader).map((o) => o.value));
    }
    for (const { reader, value } of originals) {
      try {
        options.stranded.deadLettered(reader.eventId(reader.decoder.decode(value)));
      } catch {
        // Bytes that never were a transaction (why many dead letters exist): no request produced them.
      }
    }
  }

  async function connect(): Promise<void> {
    encoder ??= await serde.encoder<Transaction>(valueSubject(topics.transactions), transactionType);
    decisionEncoder ??= await serde.encoder<Decision>(valueSubject(topics.decisions), schemaFor('fraud/decision').type);
    // One transaction per request: those arriving while a send awaits its acknowledgement share the next.
    producer = createProducer(kafka, { maxInFlight: 1 });
    producer.on(producer.events.DISCONNECT, () => {
      if (!stopped) reason = 'Kafka producer disconnected';
    });
    await producer.connect();
    const c = kafka.consumer({
      groupId: options.groupId,
      minBytes: 1,
      maxWaitTimeInMs: options.fetchMaxWaitMs ?? 500,
      allowAutoTopicCreation: false,
    });
    consumer = c;
    c.on(c.events.REQUEST, requestCounter('consumer'));
    let joined = false;
    c.on(c.events.GROUP_JOIN, () => {
      joined = true;
    });
    // Ready once a fetch after the join answered: the reader's offsets are at the end, so a
    // decision for anything produced from now on is read.
    c.on(c.events.FETCH, () => {
      if (joined && reason !== null && !stopped) {
        reason = null;
        logger.info({ groupId: options.groupId }, 'reading decisions from the end of every partition');
      }
    });
    c.on(c.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      reason = `Kafka consumer crashed: ${errorMessage(error)}`;
      if (!restart && !stopped) scheduleReconnect();
    });
    await c.connect();
    await c.subscribe({ topics: [topics.decisions, topics.enriched, topics.deadLetters], fromBeginning: false });
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }) => {
        if (batch.topic === topics.deadLetters) return readDeadLetters(batch.messages.map((m) => m.value));
        const isDecisions = batch.topic === topics.decisions;
        const decoder = isDecisions ? decisionDecoder : enrichedDecoder;
        await decoder.prepare(batch.messages.map((m) => m.value));
        for (const message of batch.messages) {
          try {
            if (isDecisions) {
              const decision = decisionDecoder.decode(message.value);
              waiters.deliverDecision(decision);
              options.stranded.decided(decision.event_id);
            } else waiters.deliverEnriched(enrichedDecoder.decode(message.value));
          } catch (error) {
            skip(error, batch.topic);
          }
        }
      },
    });
  }

  async function attempt(): Promise<void> {
    try {
      await connect();
      // Stopped while connecting: what connected must not outlive the stop.
      if (stopped) await teardown();
    } catch (error) {
      if (stopped) return;
      reason = `Kafka not reachable: ${errorMessage(error)}`;
      logger.warn({ err: error }, 'cannot reach Kafka; retrying');
      await teardown();
      scheduleReconnect();
    }
  }

  function scheduleReconnect(): void {
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(() => {
      void teardown().then(attempt);
    }, retryMs);
  }

  async function teardown(): Promise<void> {
    const [p, c] = [producer, consumer];
    producer = undefined;
    consumer = undefined;
    await Promise.allSettled([c?.disconnect(), p?.disconnect()]);
  }

  return {
    unavailable: () => reason,
    async produce(transaction) {
      if (!producer || !encoder) throw new Error(reason ?? 'Kafka producer not connected');
      await producer.send({
        topic: topics.transactions,
        acks: -1,
        messages: [
          {
            key: transaction.customer_id,
            value: encoder.encode(transaction),
            headers: { [PUBLISH_TIME_HEADER]: String(Date.now()) },
          },
        ],
      });
    },
    async produceDecisions(decisions) {
      if (!producer || !decisionEncoder) throw new Error(reason ?? 'Kafka producer not connected');
      const encode = decisionEncoder;
      await producer.send({
        topic: topics.decisions,
        acks: -1,
        messages: decisions.map((d) => ({ key: d.customer_id, value: encode.encode(d) })),
      });
    },
    start() {
      void attempt();
    },
    async stop() {
      stopped = true;
      reason = 'stopping';
      clearTimeout(retry);
      await teardown();
    },
  };
}
