import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';
import type { EntityKeys } from './keys.js';
import { type EntityPlan, type Plan, windowSpec } from './plan.js';

const read = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');

/** Versioned names: two releases with different scripts can share one Redis. */
const APPLY_TX = 'featuresApplyTxV1';
const APPLY_LABEL = 'featuresApplyLabelV1';

/**
 * Registers the scripts on a client. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, in
 * pipelines too, so they survive a Redis restart (or SCRIPT FLUSH).
 */
export function defineScripts(redis: Redis): void {
  const includes = read('includes/buckets.lua');
  redis.defineCommand(APPLY_TX, { numberOfKeys: 6, lua: `${includes}\n${read('apply-tx-6.lua')}` });
  redis.defineCommand(APPLY_LABEL, { numberOfKeys: 3, lua: `${includes}\n${read('apply-label-3.lua')}` });
}

type Caller = Redis | ChainableCommander;
type Scripted = Record<string, (...args: (string | number)[]) => unknown>;

export interface TxArgs {
  mode: 'apply' | 'read';
  eventId: string;
  time: number;
  amount: number;
  terminalId: string;
}

function txArgs(keys: EntityKeys, plan: EntityPlan, p: Plan, a: TxArgs): (string | number)[] {
  return [
    keys.buckets,
    keys.raw,
    keys.terminals,
    keys.ids,
    keys.outputs,
    keys.labels,
    a.mode,
    a.eventId,
    a.time,
    a.amount,
    plan.distinctWindows.length > 0 ? a.terminalId : '',
    p.lateness,
    windowSpec(plan.amountWindows),
    windowSpec(plan.distinctWindows),
    windowSpec(plan.labelWindows),
    plan.aggs,
    plan.retentionMs.join(':'),
    plan.distinctRetentionMs,
    plan.idRetentionMs,
    p.keyTtlMs,
    p.outputRetentionMs,
  ];
}

/** Queues (on a pipeline) or runs apply-tx-6.lua; resolves to [status, packed aggregates]. */
export function applyTx(r: Caller, keys: EntityKeys, plan: EntityPlan, p: Plan, a: TxArgs): unknown {
  return (r as unknown as Scripted)[APPLY_TX]?.(...txArgs(keys, plan, p, a));
}

export function applyLabel(
  r: Caller,
  keys: EntityKeys,
  plan: EntityPlan,
  p: Plan,
  txId: string,
  time: number,
): unknown {
  return (r as unknown as Scripted)[APPLY_LABEL]?.(
    keys.buckets,
    keys.labels,
    keys.labelIds,
    txId,
    time,
    p.lateness,
    plan.retentionMs.join(':'),
    plan.idRetentionMs,
    p.keyTtlMs,
  );
}
