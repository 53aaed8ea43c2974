import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Entity } from '@pipeline/feature-sets';
import type { RedisClient } from '@pipeline/shared';
import type { DeclaredPlan } from './declared.js';
import type { EntityKeys } from './keys.js';
import { type Plan, planLua } from './plan.js';

const read = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');
const STATE = read('includes/state.lua');
const APPLY_TX = read('apply-tx-5.lua');
const APPLY_LABEL = read('apply-label-3.lua');

type Scripted = Record<string, (...args: (string | number)[]) => Promise<unknown>>;

/**
 * The scripts for one plan, called on the client they are registered on (which auto-pipelines the
 * calls of one turn: see redis.ts).
 */
export interface FeatureScripts {
  /**
   * apply-tx-5.lua for one entity: `events` flat id, time, amount, terminal, partition watermark;
   * per event, status and aggregates.
   */
  applyTx(entity: Entity, keys: EntityKeys, events: (string | number)[]): Promise<number[]>;
  /** The entity's aggregates as of just after its latest transaction: [3, ...aggregates, asOf] or [0]. */
  read(entity: Entity, keys: EntityKeys): Promise<number[]>;
  /** apply-label-3.lua for one terminal: `labels` flat transaction id, label time, transaction time. */
  applyLabels(keys: EntityKeys, labels: (string | number)[]): Promise<unknown>;
}

const registered = new WeakMap<RedisClient, Map<string, FeatureScripts>>();

/**
 * Registers the scripts of a plan on a client (once) and returns their typed wrappers. The plan is
 * baked into the script text, so the versioned name carries a hash of it: two plans (or releases)
 * can share one Redis. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, in pipelines too,
 * so they survive a Redis restart (or SCRIPT FLUSH).
 */
export function scriptsFor(redis: RedisClient, plan: Plan): FeatureScripts {
  // Called per batch: the script texts and their hash are computed once per plan, not per call.
  const cached = byPlanObject.get(redis)?.get(plan);
  if (cached) return cached;
  const scripts = register(redis, plan);
  let plans = byPlanObject.get(redis);
  if (!plans) {
    plans = new WeakMap();
    byPlanObject.set(redis, plans);
  }
  plans.set(plan, scripts);
  return scripts;
}

const byPlanObject = new WeakMap<RedisClient, WeakMap<Plan, FeatureScripts>>();

function register(redis: RedisClient, plan: Plan): FeatureScripts {
  const texts = {
    customer: `${planLua(plan.customer, plan)}\n${STATE}\n${APPLY_TX}`,
    terminal: `${planLua(plan.terminal, plan)}\n${STATE}\n${APPLY_TX}`,
    label: `${planLua(plan.terminal, plan)}\n${STATE}\n${APPLY_LABEL}`,
  };
  const id = createHash('sha1').update(JSON.stringify(texts)).digest('hex').slice(0, 12);
  let byPlan = registered.get(redis);
  if (!byPlan) {
    byPlan = new Map();
    registered.set(redis, byPlan);
  }
  const known = byPlan.get(id);
  if (known) return known;

  const names = {
    customer: `featuresApplyTxV5c${id}`,
    terminal: `featuresApplyTxV5t${id}`,
    label: `featuresApplyLabelV5${id}`,
  };
  redis.defineCommand(names.customer, { numberOfKeys: 2, lua: texts.customer });
  redis.defineCommand(names.terminal, { numberOfKeys: 2, lua: texts.terminal });
  redis.defineCommand(names.label, { numberOfKeys: 2, lua: texts.label });
  const call = (name: string, args: (string | number)[]) => {
    const script = (redis as unknown as Scripted)[name];
    if (!script) throw new Error(`script ${name} is not registered`);
    return script.call(redis, ...args);
  };
  const scripts: FeatureScripts = {
    applyTx: (entity, keys, events) =>
      call(names[entity], [keys.state, keys.idBuckets, 'apply', ...events]) as Promise<number[]>,
    read: (entity, keys) => call(names[entity], [keys.state, keys.idBuckets, 'read']) as Promise<number[]>,
    applyLabels: (keys, labels) => call(names.label, [keys.state, keys.labelIds, ...labels]),
  };
  byPlan.set(id, scripts);
  return scripts;
}

/** apply-tx-5.lua per declared entity of a plan: `events` flat as for applyTx, an empty id reading only. */
export interface DeclaredScripts {
  applyEvents(entity: string, keys: EntityKeys, events: (string | number)[]): Promise<number[]>;
}

const declaredByPlan = new WeakMap<RedisClient, WeakMap<DeclaredPlan, DeclaredScripts>>();

/** The scripts of a plan over declared entities: the same script text as the transaction entities'. */
export function declaredScriptsFor(redis: RedisClient, plan: DeclaredPlan): DeclaredScripts {
  const cached = declaredByPlan.get(redis)?.get(plan);
  if (cached) return cached;
  const names = new Map<string, string>();
  for (const [entity, p] of Object.entries(plan.entities)) {
    const text = `${planLua(p, { ...plan, keyTtlMs: plan.entityKeyTtlMs[entity] ?? plan.keyTtlMs })}\n${STATE}\n${APPLY_TX}`;
    const id = createHash('sha1').update(text).digest('hex').slice(0, 12);
    const name = `featuresApplyTxV5e${plan.tags[entity]}_${id}`;
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua: text });
    names.set(entity, name);
  }
  const scripts: DeclaredScripts = {
    applyEvents: (entity, keys, events) => {
      const name = names.get(entity);
      const script = name === undefined ? undefined : (redis as unknown as Scripted)[name];
      if (!script) throw new Error(`no script for entity '${entity}'`);
      return script.call(redis, keys.state, keys.idBuckets, 'apply', ...events) as Promise<number[]>;
    },
  };
  let plans = declaredByPlan.get(redis);
  if (!plans) {
    plans = new WeakMap();
    declaredByPlan.set(redis, plans);
  }
  plans.set(plan, scripts);
  return scripts;
}
