import { metrics } from '@opentelemetry/api';
import type { FieldEvent } from '@pipeline/feature-sets';
import type {
  BatchContext,
  ConsumedRecord,
  Encoder,
  HandlerResult,
  Producer,
  RedisClient as Redis,
} from '@pipeline/shared';
import type { EnrichedRequest, RecommendationRequest } from '@pipeline/topology';
import { applyEvents, checkEvents } from './declared.js';
import { latestWatermark, type Outcome, writeWatermark } from './engine.js';
import { LateEventError } from './errors.js';
import { PRODUCE_CHUNK, partitionWatermarks, withIngestTime } from './handler.js';
import { watermarkKey } from './keys.js';
import { checkRequests, enrichRequests, lookupWrites, type RequestEngine, sourceIndexWrites } from './requests.js';
import { declaredScriptsFor } from './scripts.js';

export interface DeclaredHandlerOptions {
  redis: Redis;
  engine: RequestEngine;
  producer: Producer;
  encoder: Encoder<EnrichedRequest>;
  /** The consumer group: watermarks are kept per group and partition. */
  groupId: string;
  /** The event stream the declared entities are applied from (e.g. recsys.interactions). */
  eventsTopic: string;
  /** The requests whose candidates get vectors (e.g. recsys.requests). */
  requestsTopic: string;
  enrichedTopic: string;
  /** The request field the enriched topic is keyed by (its topology declaration's key). */
  keyField: string;
  now?: () => number;
}

/**
 * One consumer of a declared use case's two streams: an events batch is checked (refusals
 * dead-lettered) and applied in one round trip with its items' lookups and its partition's
 * watermark; a requests batch is checked, its candidates' probes applied in one round trip, and the
 * enriched requests produced (keyed by user, acks from all in-sync replicas) before it resolves.
 * Each partition's batch in arrival order; no event-time alignment across partitions yet.
 */
export function createDeclaredHandler<E extends FieldEvent>(
  options: DeclaredHandlerOptions,
): (
  records: ConsumedRecord<E | RecommendationRequest>[],
  context: BatchContext,
) => Promise<HandlerResult<E | RecommendationRequest>> {
  const { redis, engine, producer, encoder, groupId, now = Date.now } = options;
  const meter = metrics.getMeter('pipeline.features');
  const lateCounter = meter.createCounter('features_late_events', {
    description: 'Events beyond the allowed lateness',
  });
  const enrichedCounter = meter.createCounter('features_enriched_requests', {
    description: 'Enriched requests produced',
  });
  const watermarks = partitionWatermarks(redis, engine.declared.prefix, groupId);
  // Defined now: an auto-pipeline opened before a script's definition (a lookup write in the same
  // tick as the first batch's script calls) would not know it.
  declaredScriptsFor(redis, engine.declared.plan);

  const rejectedOf = <T>(records: ConsumedRecord<T>[], refused: (Error | undefined)[]) =>
    refused.flatMap((error, i) => (error ? [{ record: records[i] as ConsumedRecord<T>, error }] : []));

  const events = async (records: ConsumedRecord<E>[], partition: number) => {
    const { watermark, persist } = await watermarks.forBatch(records, options.eventsTopic, partition);
    const values = records.map((r) => r.value);
    const checked = checkEvents(engine.declared, values, watermark, now());
    const accepted = checked.accepted.map((i) => values[i] as E);
    const [outcomes] = await Promise.all([
      applyEvents(redis, engine.declared, accepted, checked.horizons),
      Promise.all([...lookupWrites(redis, engine, accepted), ...sourceIndexWrites(redis, engine, accepted)]),
      Promise.all(writeWatermark(redis, persist, checked.watermark)),
    ]);
    watermarks.done(persist, checked.watermark);
    return settle(records, checked.refused, checked.accepted, outcomes, options.eventsTopic);
  };

  const requests = async (records: ConsumedRecord<RecommendationRequest>[], partition: number) => {
    // The events partition of the same number holds the same users (both topics keyed by user,
    // the same partition count): a request is late against its watermark too.
    const [{ watermark, persist }, eventsWatermark] = await Promise.all([
      watermarks.forBatch(records, options.requestsTopic, partition),
      latestWatermark(redis, watermarkKey(engine.declared.prefix, groupId, options.eventsTopic, partition)),
    ]);
    const values = records.map((r) => r.value);
    const checked = checkRequests(engine, values, watermark, now(), eventsWatermark);
    const accepted = checked.accepted.map((i) => values[i] as RecommendationRequest);
    const [outcomes] = await Promise.all([
      enrichRequests(redis, engine, accepted, checked.horizons, now()),
      Promise.all(writeWatermark(redis, persist, checked.watermark)),
    ]);
    const messages: Parameters<Producer['send']>[0]['messages'] = [];
    outcomes.forEach((o, k) => {
      if (!o.ok) return;
      const record = records[checked.accepted[k] as number] as ConsumedRecord<RecommendationRequest>;
      messages.push({
        key: String((o.value.request as unknown as Record<string, unknown>)[options.keyField]),
        value: encoder.encode(o.value),
        headers: withIngestTime(record),
      });
    });
    // in chunks, one after the other: order per user holds, and no request exceeds the broker's size
    for (let i = 0; i < messages.length; i += PRODUCE_CHUNK) {
      await producer.send({ topic: options.enrichedTopic, acks: -1, messages: messages.slice(i, i + PRODUCE_CHUNK) });
    }
    enrichedCounter.add(messages.length);
    watermarks.done(persist, checked.watermark);
    return settle(records, checked.refused, checked.accepted, outcomes, options.requestsTopic);
  };

  const settle = <T>(
    records: ConsumedRecord<T>[],
    refused: (Error | undefined)[],
    accepted: number[],
    outcomes: Outcome<unknown>[],
    topic: string,
  ): HandlerResult<T> => {
    const all = [...refused];
    outcomes.forEach((o, k) => {
      if (!o.ok) all[accepted[k] as number] = o.error;
    });
    const late = all.filter((e) => e instanceof LateEventError).length;
    if (late > 0) lateCounter.add(late, { topic });
    return { rejected: rejectedOf(records, all) };
  };

  type Result = HandlerResult<E | RecommendationRequest>;
  return async (records, context) => {
    if (context.topic === options.requestsTopic) {
      return (await requests(records as ConsumedRecord<RecommendationRequest>[], context.partition)) as Result;
    }
    if (context.topic === options.eventsTopic) {
      return (await events(records as ConsumedRecord<E>[], context.partition)) as Result;
    }
    throw new Error(`declared handler: unexpected topic ${context.topic}`);
  };
}
