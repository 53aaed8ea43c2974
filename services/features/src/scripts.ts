import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { Entity } from '@pipeline/feature-sets';
import type { RedisClient } from '@pipeline/shared';
import type { DeclaredPlan } from './declared.js';
import type { EntityKeys } from './keys.js';
import { type Plan, planLua } from './plan.js';

const read = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');
const STATE = read('includes/state.lua');
const APPLY_TX = read('apply-tx-5.lua');
const APPLY_LABEL = read('apply-label-3.lua');

type Scripted = Record<string, (...args: (string | number | Buffer)[]) => Promise<unknown>>;

/** One entity's part of a script call: its keys, and its events flat (5 values each, see apply-tx-5.lua). */
export interface EntityEvents {
  keys: EntityKeys;
  events: (string | number)[];
}

/** Most events one script call carries: Redis runs nothing else while a script runs. */
export const MAX_EVENTS_PER_CALL = 2_000;

/**
 * The script calls that apply entities' events: on one server, as few as MAX_EVENTS_PER_CALL allows
 * (a call's cost is paid once for many entities); on a Redis Cluster, one per entity (a call's keys
 * must share a slot, and the client routes a call by its first argument: see ApplyScript). An
 * entity's events stay in one call, in their order.
 */
export function groupCalls<T extends EntityEvents>(redis: RedisClient, entities: readonly T[]): T[][] {
  if (redis.isCluster) return entities.map((e) => [e]);
  const calls: T[][] = [];
  let call: T[] = [];
  let size = 0;
  for (const e of entities) {
    const n = e.events.length / 5;
    if (size > 0 && size + n > MAX_EVENTS_PER_CALL) {
      calls.push(call);
      call = [];
      size = 0;
    }
    call.push(e);
    size += n;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/** apply-tx-5.lua for one plan's entity: applies entities' events in one call, or reads one entity. */
interface ApplyScript {
  apply(entities: readonly EntityEvents[]): Promise<number[]>;
  read(keys: EntityKeys): Promise<number[]>;
}

const packer = new Encoder();
const unpacker = new Decoder();
/** The script's events argument and reply are cmsgpack: one argument per call, not thousands. */
const pack = (values: readonly (string | number)[]) => {
  const bytes = packer.encode(values);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};
const unpack = (reply: Buffer) => unpacker.decode(reply) as number[];

/**
 * Registers apply-tx-5.lua under `name` twice: with two keys (one entity: its state key goes first,
 * which is what the auto-pipeline routes a script call by on a Cluster) and with the key count as
 * the first argument (many entities, on one server). Called in their Buffer form: the reply is
 * cmsgpack.
 */
function defineApply(redis: RedisClient, name: string, lua: string): ApplyScript {
  const many = `${name}n`;
  if (!(name in redis)) {
    redis.defineCommand(name, { numberOfKeys: 2, lua });
    redis.defineCommand(many, { lua });
  }
  const scripts = redis as unknown as Scripted;
  const one = scripts[`${name}Buffer`] as Scripted[string];
  const several = scripts[`${many}Buffer`] as Scripted[string];
  return {
    apply: async (entities) => {
      const events: (string | number)[] = [];
      for (const e of entities) {
        events.push(e.events.length / 5);
        for (const v of e.events) events.push(v);
      }
      const [first] = entities;
      if (entities.length === 1 && first) {
        return unpack((await one.call(redis, first.keys.state, first.keys.idBuckets, 'apply', pack(events))) as Buffer);
      }
      const args: (string | number | Buffer)[] = [2 * entities.length];
      for (const e of entities) args.push(e.keys.state, e.keys.idBuckets);
      args.push('apply', pack(events));
      return unpack((await several.call(redis, ...args)) as Buffer);
    },
    read: async (keys) => unpack((await one.call(redis, keys.state, keys.idBuckets, 'read')) as Buffer),
  };
}

/**
 * The scripts for one plan, called on the client they are registered on (which auto-pipelines the
 * calls of one turn: see redis.ts).
 */
export interface FeatureScripts {
  /**
   * apply-tx-5.lua for entities of one kind, in one call (see groupCalls): per entity in order, per
   * event, status and aggregates.
   */
  applyTx(entity: Entity, entities: readonly EntityEvents[]): Promise<number[]>;
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

  const apply = {
    customer: defineApply(redis, `featuresApplyTxV5c${id}`, texts.customer),
    terminal: defineApply(redis, `featuresApplyTxV5t${id}`, texts.terminal),
  };
  const label = `featuresApplyLabelV5${id}`;
  redis.defineCommand(label, { numberOfKeys: 2, lua: texts.label });
  const scripts: FeatureScripts = {
    applyTx: (entity, entities) => apply[entity].apply(entities),
    read: (entity, keys) => apply[entity].read(keys),
    applyLabels: (keys, labels) =>
      ((redis as unknown as Scripted)[label] as Scripted[string]).call(redis, keys.state, keys.labelIds, ...labels),
  };
  byPlan.set(id, scripts);
  return scripts;
}

/** apply-tx-5.lua per declared entity of a plan, called as applyTx is. */
export interface DeclaredScripts {
  applyEvents(entity: string, entities: readonly EntityEvents[]): Promise<number[]>;
}

const declaredByPlan = new WeakMap<RedisClient, WeakMap<DeclaredPlan, DeclaredScripts>>();

/** The scripts of a plan over declared entities: the same script text as the transaction entities'. */
export function declaredScriptsFor(redis: RedisClient, plan: DeclaredPlan): DeclaredScripts {
  const cached = declaredByPlan.get(redis)?.get(plan);
  if (cached) return cached;
  const byEntity = new Map<string, ApplyScript>();
  for (const [entity, p] of Object.entries(plan.entities)) {
    const text = `${planLua(p, { ...plan, keyTtlMs: plan.entityKeyTtlMs[entity] ?? plan.keyTtlMs })}\n${STATE}\n${APPLY_TX}`;
    const id = createHash('sha1').update(text).digest('hex').slice(0, 12);
    byEntity.set(entity, defineApply(redis, `featuresApplyTxV5e${plan.tags[entity]}_${id}`, text));
  }
  const scripts: DeclaredScripts = {
    applyEvents: (entity, entities) => {
      const script = byEntity.get(entity);
      if (!script) throw new Error(`no script for entity '${entity}'`);
      return script.apply(entities);
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
