import type { FeatureSet } from '@pipeline/feature-sets';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import type { Redis } from 'ioredis';
import { ExpiredDuplicateError, LateEventError, ScriptStatus } from './errors.js';
import { entityKeys } from './keys.js';
import { type Plan, unpackAggregates } from './plan.js';
import { applyLabel, applyTx } from './scripts.js';
import { checkLabel, checkTransaction, type InputRules } from './validate.js';
import { featureVector } from './vector.js';

export interface Engine {
  set: FeatureSet;
  plan: Plan;
  /** Prefix of every key (separates deployments and tests). */
  prefix: string;
  rules: InputRules;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Where the partition's watermark is kept, written in the same round trip as the updates. */
export interface WatermarkWrite {
  key: string;
  /** Offset after the batch's last record. */
  nextOffset: string;
}

/** Watermarks kept per partition: enough for any restart from a committed offset. */
const WATERMARKS_KEPT = 50;

export interface BatchResult<T> {
  outcomes: Outcome<T>[];
  watermark: number;
  late: number;
}

type Reply = [Error | null, unknown];

function replyOf(replies: Reply[] | null, i: number): unknown {
  const reply = replies?.[i];
  if (!reply) throw new Error(`no reply for pipelined command ${i}`);
  if (reply[0]) throw reply[0];
  return reply[1];
}

/**
 * Applies a batch of one partition's transactions in one Redis round trip and returns, per
 * transaction, the enriched event or why it is refused. Idempotent: a redelivered event returns
 * the vector computed the first time.
 */
export async function processTransactions(
  redis: Redis,
  engine: Engine,
  txs: readonly Transaction[],
  watermark: number,
  now: number,
  persist?: WatermarkWrite,
): Promise<BatchResult<EnrichedTransaction>> {
  const { plan, prefix, set } = engine;
  const outcomes: (Outcome<EnrichedTransaction> | number)[] = [];
  const pipeline = redis.pipeline();
  let queued = 0;
  let late = 0;
  for (const tx of txs) {
    const error = checkTransaction(tx, watermark, now, engine.rules);
    if (error) {
      if (error instanceof LateEventError) late++;
      outcomes.push({ ok: false, error });
      continue;
    }
    watermark = Math.max(watermark, tx.event_time);
    const args = {
      mode: 'apply' as const,
      eventId: tx.event_id,
      time: tx.event_time,
      amount: tx.amount_minor,
      terminalId: tx.terminal_id,
    };
    applyTx(pipeline, entityKeys(prefix, 'customer', tx.customer_id), plan.customer, plan, args);
    applyTx(pipeline, entityKeys(prefix, 'terminal', tx.terminal_id), plan.terminal, plan, args);
    outcomes.push(queued);
    queued += 2;
  }
  if (persist) writeWatermark(pipeline, persist, watermark);
  const replies = queued > 0 || persist ? ((await pipeline.exec()) as Reply[] | null) : [];
  const computedAt = Date.now();
  const result = outcomes.map((o, i): Outcome<EnrichedTransaction> => {
    if (typeof o !== 'number') return o;
    const tx = txs[i] as Transaction;
    const [cs, cp] = replyOf(replies, o) as [number, string];
    const [ts, tp] = replyOf(replies, o + 1) as [number, string];
    if (cs === ScriptStatus.ExpiredDuplicate || ts === ScriptStatus.ExpiredDuplicate) {
      return {
        ok: false,
        error: new ExpiredDuplicateError(`event ${tx.event_id} was applied before and its stored vector has expired`),
      };
    }
    const values = featureVector(set, tx, {
      customer: unpackAggregates(plan.customer, cp),
      terminal: unpackAggregates(plan.terminal, tp),
    });
    return {
      ok: true,
      value: {
        transaction: tx,
        features: { feature_set: set.name, version: set.version, values },
        computed_at: computedAt,
      },
    };
  });
  return { outcomes: result, watermark, late };
}

/** Applies a batch of one partition's labels in one round trip; genuine labels change no state. */
export async function processLabels(
  redis: Redis,
  engine: Engine,
  labels: readonly Label[],
  watermark: number,
  now: number,
  persist?: WatermarkWrite,
): Promise<BatchResult<Label>> {
  const pipeline = redis.pipeline();
  const outcomes: Outcome<Label>[] = [];
  let late = 0;
  let queued = 0;
  for (const label of labels) {
    const error = checkLabel(label, watermark, now, engine.rules);
    if (error) {
      if (error instanceof LateEventError) late++;
      outcomes.push({ ok: false, error });
      continue;
    }
    watermark = Math.max(watermark, label.label_time);
    if (label.is_fraud) {
      const keys = entityKeys(engine.prefix, 'terminal', label.terminal_id);
      applyLabel(pipeline, keys, engine.plan.terminal, engine.plan, label.transaction_id, label.label_time);
      queued++;
    }
    outcomes.push({ ok: true, value: label });
  }
  if (persist) writeWatermark(pipeline, persist, watermark);
  if (queued > 0 || persist) {
    const replies = (await pipeline.exec()) as Reply[] | null;
    for (let i = 0; i < (replies?.length ?? 0); i++) replyOf(replies, i);
  }
  return { outcomes, watermark, late };
}

function writeWatermark(pipeline: ReturnType<Redis['pipeline']>, w: WatermarkWrite, watermark: number): void {
  if (!Number.isFinite(watermark)) return;
  pipeline.zadd(w.key, w.nextOffset, `${w.nextOffset}:${watermark}`);
  pipeline.zremrangebyrank(w.key, 0, -(WATERMARKS_KEPT + 1));
}

/**
 * The watermark as of `offset`: the one written after the last batch that ended at or before it
 * (malformed messages in between change nothing), or -Infinity.
 */
export async function loadWatermark(redis: Redis, key: string, offset: string): Promise<number> {
  const [member] = await redis.zrevrangebyscore(key, offset, '-inf', 'LIMIT', 0, 1);
  return member === undefined ? Number.NEGATIVE_INFINITY : Number(member.split(':')[1]);
}
