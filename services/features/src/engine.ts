import {
  advanceWatermark,
  decodeWatermark,
  encodeWatermark,
  type FeatureSet,
  NO_WATERMARK,
  type Watermark,
  watermarkTime,
} from '@pipeline/feature-sets';
import type { RedisClient as Redis } from '@pipeline/shared';
import type { EnrichedTransaction, Label, Transaction } from '@pipeline/topology';
import { ExpiredDuplicateError, LateEventError, ScriptStatus } from './errors.js';
import { entityKeys } from './keys.js';
import { layoutOf, type Plan } from './plan.js';
import { type EntityEvents, groupCalls, scriptsFor } from './scripts.js';
import { resolveLabelTerminals, type TokenMap, tokenEntries, writeTokenEntries } from './token-map.js';
import { checkLabel, checkTransaction, type InputRules } from './validate.js';
import { compileVector, type VectorBuilder } from './vector.js';

export interface Engine {
  set: FeatureSet;
  plan: Plan;
  /** Prefix of every key (separates deployments and tests). */
  prefix: string;
  rules: InputRules;
  /** Written with each batch's transactions when the service has the key ring (token-map.ts). */
  tokens?: TokenMap;
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
  watermark: Watermark;
  late: number;
}

const builders = new WeakMap<Plan, VectorBuilder>();
function vectorBuilder(engine: Engine): VectorBuilder {
  let build = builders.get(engine.plan);
  if (!build) {
    build = compileVector(engine.set, engine.plan);
    builders.set(engine.plan, build);
  }
  return build;
}

/** Per entity of the batch, its events in batch order: one script call each. */
function groupBy(n: number, keyOf: (i: number) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = keyOf(i);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  return groups;
}

/** A partition batch's transactions checked in order against its watermark. */
export interface CheckedTransactions {
  /** Per transaction: why it is refused, or undefined (accepted). */
  refused: (Error | undefined)[];
  /** Indexes of the accepted ones, in order. */
  accepted: number[];
  /**
   * Per accepted one, the partition's watermark time just after it (0: none yet): nothing accepted
   * later from the partition is older than this minus the lateness, so state before that can fold.
   */
  horizons: number[];
  /** The partition's watermark after the batch. */
  watermark: Watermark;
  late: number;
}

/** Checks one partition's batch: the contract, the future limit and lateness against its watermark. */
export function checkTransactions(
  engine: Engine,
  txs: readonly Transaction[],
  watermark: Watermark,
  now: number,
): CheckedTransactions {
  const refused: (Error | undefined)[] = new Array(txs.length);
  const accepted: number[] = [];
  const horizons: number[] = [];
  let late = 0;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i] as Transaction;
    const error = checkTransaction(tx, watermarkTime(watermark, engine.rules.watermarkRank), now, engine.rules);
    if (error) {
      if (error instanceof LateEventError) late++;
      refused[i] = error;
      continue;
    }
    watermark = advanceWatermark(watermark, tx.event_time);
    accepted.push(i);
    horizons.push(horizonOf(watermark, engine.rules.watermarkRank));
  }
  return { refused, accepted, horizons, watermark, late };
}

/** A watermark as the scripts take it: its time, 0 for none (event times are all after 2000). */
function horizonOf(w: Watermark, rank?: number): number {
  const t = watermarkTime(w, rank);
  return Number.isFinite(t) ? t : 0;
}

/**
 * Applies accepted transactions in the order given (each customer's and terminal's events in that
 * order; the calls grouped by groupCalls) and returns, per transaction, the enriched event or why it is
 * refused. Idempotent: a redelivered event returns the vector computed the first time. The client
 * auto-pipelines (see redis.ts): the calls, and the watermark writes, go out as one write.
 */
export async function applyTransactions(
  redis: Redis,
  engine: Engine,
  accepted: readonly Transaction[],
  /** Per transaction, its partition's watermark just after it (`CheckedTransactions.horizons`). */
  horizons: readonly number[],
  watermarks: readonly (WatermarkWrite & { watermark: Watermark })[] = [],
): Promise<Outcome<EnrichedTransaction>[]> {
  const { plan, prefix, set } = engine;
  const scripts = scriptsFor(redis, plan);
  const n = accepted.length;
  const calls: Promise<unknown>[] = [];
  // where each transaction's reply is: command index and offset, per entity
  const cCmd = new Array<number>(n);
  const cOff = new Array<number>(n);
  const tCmd = new Array<number>(n);
  const tOff = new Array<number>(n);
  const queue = (entity: 'customer' | 'terminal', cmd: number[], off: number[]) => {
    const p = plan[entity];
    const stride = 1 + layoutOf(p).width;
    const withAmount = p.aggs !== 'n';
    const withTerminal = p.distinctWindows.length > 0;
    const groups = groupBy(
      n,
      (i) => (entity === 'customer' ? accepted[i]?.customer_id : accepted[i]?.terminal_id) as string,
    );
    const entities: (EntityEvents & { members: number[] })[] = [];
    for (const [id, members] of groups) {
      const events: (string | number)[] = [];
      for (const i of members) {
        const tx = accepted[i] as Transaction;
        events.push(
          tx.event_id,
          tx.event_time,
          withAmount ? tx.amount_minor : 0,
          withTerminal ? tx.terminal_id : '',
          horizons[i] as number,
        );
      }
      entities.push({ keys: entityKeys(prefix, entity, id), events, members });
    }
    for (const group of groupCalls(redis, entities)) {
      let at = 0;
      for (const e of group) {
        for (const i of e.members) {
          cmd[i] = calls.length;
          off[i] = at;
          at += stride;
        }
      }
      calls.push(scripts.applyTx(entity, group));
    }
  };
  queue('customer', cCmd, cOff);
  queue('terminal', tCmd, tOff);
  for (const w of watermarks) calls.push(...writeWatermark(redis, w, w.watermark));
  if (engine.tokens) {
    const entries = tokenEntries(engine.tokens, prefix, accepted, Date.now());
    calls.push(...writeTokenEntries(redis, engine.tokens.ttlMs, entries));
  }
  const replies = await Promise.all(calls);
  const computedAt = Date.now();
  const build = vectorBuilder(engine);
  const version = set.version;
  const outcomes = new Array<Outcome<EnrichedTransaction>>(n);
  for (let i = 0; i < n; i++) {
    const tx = accepted[i] as Transaction;
    const c = replies[cCmd[i] as number] as number[];
    const t = replies[tCmd[i] as number] as number[];
    const co = cOff[i] as number;
    const to = tOff[i] as number;
    if (c[co] === ScriptStatus.ExpiredDuplicate || t[to] === ScriptStatus.ExpiredDuplicate) {
      outcomes[i] = {
        ok: false,
        error: new ExpiredDuplicateError(`event ${tx.event_id} was applied before and its stored vector has expired`),
      };
      continue;
    }
    outcomes[i] = {
      ok: true,
      value: {
        transaction: tx,
        features: { feature_set: set.name, version, values: build(tx, c, co + 1, t, to + 1) },
        computed_at: computedAt,
      },
    };
  }
  return outcomes;
}

/**
 * One partition's batch, checked and applied in offset order (`awaitLabels` is called with the
 * latest accepted event time before anything is applied): what tests and the features bench use.
 */
export async function processTransactions(
  redis: Redis,
  engine: Engine,
  txs: readonly Transaction[],
  watermark: Watermark,
  now: number,
  persist?: WatermarkWrite,
  awaitLabels?: (upTo: number) => Promise<void>,
): Promise<BatchResult<EnrichedTransaction>> {
  const checked = checkTransactions(engine, txs, watermark, now);
  const accepted = checked.accepted.map((i) => txs[i] as Transaction);
  if (awaitLabels && accepted.length > 0) {
    let upTo = Number.NEGATIVE_INFINITY;
    for (const tx of accepted) if (tx.event_time > upTo) upTo = tx.event_time;
    await awaitLabels(upTo);
  }
  const applied = await applyTransactions(
    redis,
    engine,
    accepted,
    checked.horizons,
    persist ? [{ ...persist, watermark: checked.watermark }] : [],
  );
  const outcomes = new Array<Outcome<EnrichedTransaction>>(txs.length);
  checked.refused.forEach((error, i) => {
    if (error) outcomes[i] = { ok: false, error };
  });
  checked.accepted.forEach((i, k) => {
    outcomes[i] = applied[k] as Outcome<EnrichedTransaction>;
  });
  return { outcomes, watermark: checked.watermark, late: checked.late };
}

/** Applies a batch of one partition's labels (one call per terminal); genuine labels change no state. */
export async function processLabels(
  redis: Redis,
  engine: Engine,
  labels: readonly Label[],
  watermark: Watermark,
  now: number,
  persist?: WatermarkWrite,
): Promise<BatchResult<Label>> {
  const scripts = scriptsFor(redis, engine.plan);
  const outcomes: Outcome<Label>[] = [];
  const byTerminal = new Map<string, (string | number)[]>();
  let late = 0;
  // A console label names its terminal by token: counted for the raw id the map gives.
  for (const label of await resolveLabelTerminals(redis, engine.prefix, labels)) {
    const error = checkLabel(label, watermarkTime(watermark, engine.rules.watermarkRank), now, engine.rules);
    if (error) {
      if (error instanceof LateEventError) late++;
      outcomes.push({ ok: false, error });
      continue;
    }
    watermark = advanceWatermark(watermark, label.label_time);
    if (label.is_fraud) {
      // checkLabel refused a label without its transaction time
      const args = [label.transaction_id, label.label_time, label.transaction_time as number];
      const group = byTerminal.get(label.terminal_id);
      if (group) group.push(...args);
      else byTerminal.set(label.terminal_id, args);
    }
    outcomes.push({ ok: true, value: label });
  }
  const calls: Promise<unknown>[] = [];
  for (const [terminal, args] of byTerminal) {
    calls.push(scripts.applyLabels(entityKeys(engine.prefix, 'terminal', terminal), args));
  }
  if (persist) calls.push(...writeWatermark(redis, persist, watermark));
  await Promise.all(calls);
  return { outcomes, watermark, late };
}

export function writeWatermark(redis: Redis, w: WatermarkWrite, watermark: Watermark): Promise<unknown>[] {
  if (watermark.length === 0) return [];
  return [
    redis.zadd(w.key, w.nextOffset, `${w.nextOffset}:${encodeWatermark(watermark)}`),
    redis.zremrangebyrank(w.key, 0, -(WATERMARKS_KEPT + 1)),
  ];
}

/**
 * The watermark as of `offset`: the one written after the last batch that ended at or before it
 * (malformed messages in between change nothing), or none.
 */
export async function loadWatermark(redis: Redis, key: string, offset: string): Promise<Watermark> {
  const [member] = await redis.zrevrangebyscore(key, offset, '-inf', 'LIMIT', 0, 1);
  return member === undefined ? NO_WATERMARK : decodeWatermark(member.slice(member.indexOf(':') + 1));
}

/** The latest watermark written for a partition (any offset), or none: how far its state may have folded. */
export async function latestWatermark(redis: Redis, key: string): Promise<Watermark> {
  const [member] = await redis.zrevrange(key, 0, 0);
  return member === undefined ? NO_WATERMARK : decodeWatermark(member.slice(member.indexOf(':') + 1));
}
