import { metrics } from '@opentelemetry/api';
import { type FieldEvent, type Watermark, watermarkTime } from '@pipeline/feature-sets';
import type {
  BatchContext,
  ConsumedRecord,
  Encoder,
  HandlerResult,
  Logger,
  Producer,
  RedisClient as Redis,
} from '@pipeline/shared';
import type { EnrichedRequest, RecommendationRequest } from '@pipeline/topology';
import { checkEvents } from './declared.js';
import { type WatermarkWrite, writeWatermark } from './engine.js';
import { LateEventError } from './errors.js';
import type { Frontier } from './frontier.js';
import { partitionWatermarks, withIngestTime } from './handler.js';
import { applyRound, checkRequests, type RequestEngine, type RoundItem as Round } from './requests.js';
import { createRounds, ROUND_MAX_WEIGHT, type RoundBatch, type RoundItem } from './rounds.js';
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
  logger: Logger;
  /** Most a partition with data on the broker and none buffered holds the others back (see alignment.ts). */
  alignMaxWaitMs: number;
  /** A caught-up partition counts only once a later fetch confirms it (see alignment.ts). */
  alignConfirm?: boolean;
  /**
   * The group's other members' partitions (frontier.ts), and how many partitions each topic has (the
   * same for both, keyed alike): while this member holds fewer, its records also wait for the others'.
   */
  frontier?: { shared: Frontier; partitions: number };
  /** Most another member's partition that makes no progress holds records back (see alignment.ts). */
  alignMemberWaitMs?: number;
  now?: () => number;
}

/**
 * The merge's lane of a partition of the two streams: the events' partition p is lane 2p, the
 * requests' 2p + 1, so records of one time go by partition, a partition's events before its
 * requests (the order `mergeByEventTime` is given them in).
 */
export function declaredLane(requests: boolean, partition: number): number {
  return 2 * partition + (requests ? 1 : 0);
}

type Value<E> = E | RecommendationRequest;
type Rejection<E> = NonNullable<HandlerResult<Value<E>>['rejected']>[number];

interface PendingBatch<E> extends RoundBatch<Rejection<E>> {
  /** Written with the batch's last record: its partition's watermark as of the batch's end. */
  watermark: WatermarkWrite & { watermark: Watermark };
}

/** An accepted record in the merge: at its partition's latest event time so far (see mergeByEventTime). */
interface Pending<E> extends RoundItem<Rejection<E>> {
  item: Round;
  record: ConsumedRecord<Value<E>>;
  batch: PendingBatch<E>;
}

/**
 * One consumer of a declared use case's two streams, in event-time order across the partitions of
 * both (rounds.ts, as the transactions): each batch is checked at once (refusals dead-lettered)
 * and its accepted records buffered; each round, the events and requests the merge releases are
 * applied in its order in one call per entity (applyRound), the partitions' watermarks of the
 * batches ending in it written in the same round trip, and the enriched requests produced (keyed by
 * user, acks from all in-sync replicas). A batch is committed once its last record's round is.
 */
export function createDeclaredHandler<E extends FieldEvent>(options: DeclaredHandlerOptions) {
  const { redis, engine, producer, encoder, groupId, logger, now = Date.now } = options;
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

  const apply = async (items: Pending<E>[]) => {
    // The batches that end in this round: their partitions' watermarks go in the same round trip.
    const inRound = new Map<PendingBatch<E>, number>();
    for (const item of items) inRound.set(item.batch, (inRound.get(item.batch) ?? 0) + 1);
    const ending = [...inRound].filter(([b, k]) => k === b.remaining).map(([b]) => b.watermark);
    const [outcomes] = await Promise.all([
      applyRound(
        redis,
        engine,
        items.map((p) => p.item),
        now(),
      ),
      ...ending.flatMap((w) => writeWatermark(redis, w, w.watermark)),
    ]);
    const messages: Parameters<Producer['send']>[0]['messages'] = [];
    outcomes.forEach((o, i) => {
      const pending = items[i] as Pending<E>;
      if (!o.ok) {
        pending.batch.rejected.push({ record: pending.record, error: o.error });
        return;
      }
      if (pending.item.kind !== 'request') return;
      const enriched = o.value as EnrichedRequest;
      messages.push({
        key: String((enriched.request as unknown as Record<string, unknown>)[options.keyField]),
        value: encoder.encode(enriched),
        headers: withIngestTime(pending.record),
      });
    });
    // one send: the shared producer splits what exceeds a request's size, its parts in order
    await producer.send({ topic: options.enrichedTopic, acks: -1, messages });
    enrichedCounter.add(messages.length);
  };
  const rounds = createRounds<Rejection<E>, Pending<E>>({
    apply,
    logger,
    alignMaxWaitMs: options.alignMaxWaitMs,
    alignConfirm: options.alignConfirm ?? false,
    alignMemberWaitMs: options.alignMemberWaitMs ?? options.alignMaxWaitMs,
    laneOf: (topic, partition) => declaredLane(topic === options.requestsTopic, partition),
    // A request weighs its candidates: a backlog of requests applied in one round held every probe's
    // vector in memory at once (4 GB and out of memory at 15,000 requests of 50 candidates).
    roundLimit: {
      max: ROUND_MAX_WEIGHT,
      weight: (p) => (p.item.kind === 'request' ? 1 + p.item.request.candidate_item_ids.length : 1),
    },
    ...(options.frontier
      ? { frontier: { shared: options.frontier.shared, lanes: 2 * options.frontier.partitions } }
      : {}),
  });

  /** Buffers a checked batch's accepted records for the merge (or settles it when there are none). */
  const buffer = async (
    records: ConsumedRecord<Value<E>>[],
    topic: string,
    partition: number,
    checked: { refused: (Error | undefined)[]; accepted: number[]; horizons: number[]; watermark: Watermark },
    start: Watermark,
    persist: WatermarkWrite,
    toItem: (value: Value<E>, horizon: number) => Round,
  ): Promise<HandlerResult<Value<E>>> => {
    watermarks.done(persist, checked.watermark);
    const rejected = checked.refused.flatMap((error, i) =>
      error ? [{ record: records[i] as ConsumedRecord<Value<E>>, error }] : [],
    );
    const late = rejected.filter((r) => r.error instanceof LateEventError).length;
    if (late > 0) lateCounter.add(late, { topic });
    const end = { ...persist, watermark: checked.watermark };
    if (checked.accepted.length === 0) {
      await Promise.all(writeWatermark(redis, end, end.watermark));
      return { rejected };
    }
    const { batch, settled } = rounds.batch<PendingBatch<E>>(checked.accepted.length, { watermark: end });
    // each record at its partition's latest event time so far: a partition's out-of-order records
    // keep their place in it, and the merge is the same whatever the fetches delivered when
    let latest = watermarkTime(start, 1);
    rounds.push(
      topic,
      partition,
      checked.accepted.map((i, k) => {
        const record = records[i] as ConsumedRecord<Value<E>>;
        latest = Math.max(latest, record.value.event_time);
        return { time: latest, item: toItem(record.value, checked.horizons[k] as number), record, batch };
      }),
    );
    return { rejected, settled };
  };

  const events = async (records: ConsumedRecord<Value<E>>[], partition: number) => {
    const { watermark, persist } = await watermarks.forBatch(records, options.eventsTopic, partition);
    const checked = checkEvents(
      engine.declared,
      records.map((r) => r.value as E),
      watermark,
      now(),
    );
    return buffer(records, options.eventsTopic, partition, checked, watermark, persist, (value, horizon) => ({
      kind: 'event',
      event: value as E,
      horizon,
    }));
  };

  const requests = async (records: ConsumedRecord<Value<E>>[], partition: number) => {
    const { watermark, persist } = await watermarks.forBatch(records, options.requestsTopic, partition);
    const checked = checkRequests(
      engine,
      records.map((r) => r.value as RecommendationRequest),
      watermark,
      now(),
    );
    return buffer(records, options.requestsTopic, partition, checked, watermark, persist, (value, horizon) => ({
      kind: 'request',
      request: value as RecommendationRequest,
      horizon,
    }));
  };

  return {
    handler: async (records: ConsumedRecord<Value<E>>[], context: BatchContext): Promise<HandlerResult<Value<E>>> => {
      if (context.topic === options.requestsTopic) return requests(records, context.partition);
      if (context.topic === options.eventsTopic) return events(records, context.partition);
      throw new Error(`declared handler: unexpected topic ${context.topic}`);
    },
    onFetch: rounds.onFetch,
    onAssigned: rounds.onAssigned,
    onRebalancing: rounds.onRebalancing,
  };
}
