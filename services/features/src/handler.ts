import { metrics } from '@opentelemetry/api';
import {
  type BatchHandler,
  type ConsumedRecord,
  carriedHeaders,
  type Encoder,
  type HandlerResult,
  type Producer,
} from '@pipeline/shared';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import type { Redis } from 'ioredis';
import { type BatchResult, type Engine, loadWatermark, processLabels, processTransactions } from './engine.js';
import { watermarkKey } from './keys.js';

export interface HandlerOptions {
  redis: Redis;
  engine: Engine;
  producer: Producer;
  encoder: Encoder<EnrichedTransaction>;
  groupId: string;
  transactionsTopic: string;
  enrichedTopic: string;
  now?: () => number;
}

type Input = Transaction | Label;

const PRODUCE_CHUNK = 1000;

/**
 * The batch handler: one Redis round trip for the batch's updates, then the enriched events produced
 * with acks from all in-sync replicas; the consumer loop commits only after that resolves.
 */
export function createFeaturesHandler(options: HandlerOptions): BatchHandler<Input> {
  const { redis, engine, producer, encoder, groupId, now = Date.now } = options;
  const meter = metrics.getMeter('pipeline.features');
  const lateCounter = meter.createCounter('features_late_events', {
    description: 'Events beyond the allowed lateness',
  });
  const enrichedCounter = meter.createCounter('features_enriched', { description: 'Enriched transactions produced' });
  // Per partition: watermark and the offset the next batch should start at (else reload from Redis).
  const partitions = new Map<string, { watermark: number; next: string }>();

  return async (records, { topic, partition }) => {
    const key = watermarkKey(engine.prefix, groupId, topic, partition);
    const first = (records[0] as ConsumedRecord<Input>).offset;
    const nextOffset = (BigInt((records.at(-1) as ConsumedRecord<Input>).offset) + 1n).toString();
    let state = partitions.get(key);
    if (!state || state.next !== first) state = { watermark: await loadWatermark(redis, key, first), next: first };
    const persist = { key, nextOffset };

    let result: BatchResult<unknown>;
    if (topic === options.transactionsTopic) {
      const txs = records.map((r) => r.value as Transaction);
      const out = await processTransactions(redis, engine, txs, state.watermark, now(), persist);
      // Outcomes are in record order; the publish time travels on for end-to-end latency.
      const messages = out.outcomes.flatMap((o, i) =>
        o.ok
          ? [
              {
                key: o.value.transaction.customer_id,
                value: encoder.encode(o.value),
                headers: carriedHeaders(records[i]?.headers),
              },
            ]
          : [],
      );
      // In chunks, one after the other: a whole batch can exceed the broker's request size, and
      // order per customer must hold.
      for (let i = 0; i < messages.length; i += PRODUCE_CHUNK) {
        await producer.send({ topic: options.enrichedTopic, acks: -1, messages: messages.slice(i, i + PRODUCE_CHUNK) });
      }
      enrichedCounter.add(messages.length);
      result = out;
    } else {
      result = await processLabels(
        redis,
        engine,
        records.map((r) => r.value as Label),
        state.watermark,
        now(),
        persist,
      );
    }
    if (result.late > 0) lateCounter.add(result.late, { topic });
    partitions.set(key, { watermark: result.watermark, next: nextOffset });

    const rejected: NonNullable<HandlerResult<Input>['rejected']> = [];
    result.outcomes.forEach((o, i) => {
      if (!o.ok) rejected.push({ record: records[i] as ConsumedRecord<Input>, error: o.error });
    });
    return { rejected };
  };
}
