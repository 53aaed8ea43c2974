import {
  advanceWatermark,
  changes,
  entityId,
  type FeatureSet,
  type FieldEvent,
  type Watermark,
  watermarkTime,
} from '@pipeline/feature-sets';
import type { RedisClient as Redis } from '@pipeline/shared';
import { idProblem } from '@pipeline/topology';
import type { Outcome } from './engine.js';
import { BadInputError, ExpiredDuplicateError, ScriptStatus } from './errors.js';
import { taggedKeys } from './keys.js';
import { compileEntityPlan, type EntityPlan, layoutOf } from './plan.js';
import { declaredScriptsFor, type EntityEvents, groupCalls } from './scripts.js';
import { checkTime } from './validate.js';
import { compileDeclaredVector, type DeclaredVectorBuilder } from './vector.js';

/**
 * The engine over entities a feature set declares (`entity` in @pipeline/feature-sets), for event
 * streams other than transactions: the same plan compiler, the same script and state layout, each
 * entity id's events in one part of a script call (groupCalls). An event changes the entities its
 * type feeds and, when its vector is wanted, reads the others as of its time, in batch order ('|'
 * before its id in the script's input), both recorded under its id for a redelivery (EventRole).
 * Only counts and the time since the previous event are declared on such entities so far; no
 * labels, amounts or distinct counts.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** FEATURES_PROBE_RETENTION's default: a redelivery comes within a restart or a rebalance. */
export const DEFAULT_PROBE_RETENTION_MS = HOUR;

export interface DeclaredPlan {
  /** Per declared entity (by name), what its script keeps. */
  entities: Record<string, EntityPlan>;
  tags: Record<string, string>;
  lateness: number;
  /** The longest of the entities' key lifetimes: items' lookups and the source index. */
  keyTtlMs: number;
  /** Per declared entity (by name): its keys' lifetime, by its own longest window. */
  entityKeyTtlMs: Record<string, number>;
  outputRetentionMs: number;
  idBucketMs: number;
  /** How long (wall clock) a read's output ('|' id: a request's probe) is kept for a redelivery. */
  probeRetentionMs: number;
}

export function compileDeclaredPlan(
  set: FeatureSet,
  allowedLatenessMs: number,
  outputRetentionMs = Number.MAX_SAFE_INTEGER,
  probeRetentionMs = DEFAULT_PROBE_RETENTION_MS,
): DeclaredPlan {
  if (set.entities.length === 0) throw new Error(`feature set ${set.name} declares no entity`);
  const entities: Record<string, EntityPlan> = {};
  const tags: Record<string, string> = {};
  for (const decl of set.entities) {
    const plan = compileEntityPlan(set, decl.name);
    // its ids and outputs are kept as long as its longest window: a count needs one
    if (plan.amountWindows.length === 0) {
      throw new Error(
        `entity '${decl.name}' of ${set.name} has no windowed count, which its state's retention follows`,
      );
    }
    entities[decl.name] = plan;
    tags[decl.name] = decl.tag;
  }
  const plans = Object.values(entities);
  // each entity's keys live as long as its own longest window needs (a 30-day purchase count
  // does not keep a user's 7-day view state for a month)
  const entityKeyTtlMs = Object.fromEntries(
    Object.entries(entities).map(([name, p]) => [name, p.reachMs + allowedLatenessMs + DAY]),
  );
  return {
    entities,
    tags,
    lateness: allowedLatenessMs,
    keyTtlMs: Math.max(...Object.values(entityKeyTtlMs)),
    entityKeyTtlMs,
    outputRetentionMs: Math.min(outputRetentionMs, ...plans.map((p) => p.idRetentionMs)),
    idBucketMs: outputRetentionMs < DAY ? HOUR : DAY,
    probeRetentionMs,
  };
}

export interface DeclaredEngine {
  set: FeatureSet;
  plan: DeclaredPlan;
  prefix: string;
  rules: {
    /** Event times more than this past max(wall clock, partition watermark) are refused. */
    maxFutureMs: number;
    allowedLatenessMs: number;
    watermarkRank?: number;
  };
  /** The stream's contract check (e.g. interactionProblem): why an event is refused, or undefined. */
  problem?: (event: FieldEvent) => string | undefined;
}

/**
 * Checks a partition's batch as `checkTransactions` does: the stream's contract, the ids the
 * entities are keyed by (whatever the contract says: they go into keys, joined by '|'), the
 * future and lateness against the partition's watermark; per accepted event, the watermark time
 * just after it (how far state may fold).
 */
export function checkEvents(engine: DeclaredEngine, events: readonly FieldEvent[], watermark: Watermark, now: number) {
  const refused: (Error | undefined)[] = new Array(events.length);
  const accepted: number[] = [];
  const horizons: number[] = [];
  const rank = engine.rules.watermarkRank;
  const fields = [...new Set(engine.set.entities.flatMap((d) => d.key))];
  events.forEach((event, i) => {
    const record = event as unknown as Record<string, unknown>;
    const problem =
      engine.problem?.(event) ??
      idProblem('event_id', event.event_id) ??
      fields.reduce<string | undefined>(
        (found, f) => found ?? idProblem(f, record[f] as string | undefined),
        undefined,
      );
    const error = problem
      ? new BadInputError(problem)
      : checkTime('event_time', event.event_time, watermarkTime(watermark, rank), now, engine.rules);
    if (error) {
      refused[i] = error;
      return;
    }
    watermark = advanceWatermark(watermark, event.event_time);
    const t = watermarkTime(watermark, rank);
    accepted.push(i);
    horizons.push(Number.isFinite(t) ? t : 0);
  });
  return { refused, accepted, horizons, watermark };
}

/**
 * What applying does with an event: 'vector' applies it to the entities it changes and reads the
 * others as of its time, both recorded under its id (its vector, the same on a redelivery);
 * 'apply' only applies it to the entities it changes (nobody reads its vector); 'probe' reads every
 * entity as of its time and records nothing (a request's candidate: the request keeps its vectors).
 */
export type EventRole = 'vector' | 'apply' | 'probe';

/**
 * Applies accepted events in the order given and returns each one's vector as of its event time,
 * or why it is refused (a redelivery whose stored aggregates expired). Idempotent on the event id:
 * a redelivery gets, from every entity, the aggregates stored the first time.
 */
export async function applyEvents(
  redis: Redis,
  engine: DeclaredEngine,
  events: readonly FieldEvent[],
  horizons: readonly number[],
): Promise<Outcome<number[]>[]> {
  return (await applyDeclared(redis, engine, events, horizons, () => 'vector')) as Outcome<number[]>[];
}

/**
 * Applies and reads events in the order given, each by its role (see EventRole): per event, its
 * vector (null for 'apply') or why it is refused (an expired duplicate). Each entity's events go
 * in one part of a script call (calls grouped by groupCalls); consecutive probes of one entity at
 * one time are read once (a request's candidates share their user).
 */
export async function applyDeclared(
  redis: Redis,
  engine: DeclaredEngine,
  events: readonly FieldEvent[],
  horizons: readonly number[],
  roleOf: (i: number) => EventRole,
): Promise<Outcome<number[] | null>[]> {
  const { plan, set, prefix } = engine;
  const scripts = declaredScriptsFor(redis, plan);
  const calls: Promise<number[]>[] = [];
  const n = events.length;
  const roles = events.map((_, i) => roleOf(i));
  // per entity, per event: which call holds its reply and where (-1: the entity is not called)
  const where = set.entities.map((decl) => {
    const stride = 1 + layoutOf(plan.entities[decl.name] as EntityPlan).width;
    const cmd = new Int32Array(n).fill(-1);
    const off = new Int32Array(n);
    const byId = new Map<string, EntityEvents & { members: number[]; lastProbe: number }>();
    const repeats: number[] = [];
    events.forEach((event, i) => {
      const role = roles[i] as EventRole;
      const applies = role !== 'probe' && changes(decl, event);
      if (role === 'apply' && !applies) return;
      const id = entityId(decl, event);
      let entity = byId.get(id);
      if (!entity) {
        entity = { keys: taggedKeys(prefix, decl.tag, id), events: [], members: [], lastProbe: -1 };
        byId.set(id, entity);
      }
      if (role === 'probe') {
        const last = entity.lastProbe;
        if (last >= 0 && (events[last] as FieldEvent).event_time === event.event_time) {
          repeats.push(i, last);
          return;
        }
        entity.lastProbe = i;
      } else entity.lastProbe = -1;
      // '|' (which no id holds) marks a recorded read, '' one not recorded: nothing applied
      const eventId = applies ? event.event_id : role === 'vector' ? `|${event.event_id}` : '';
      entity.events.push(eventId, event.event_time, 0, '', horizons[i] as number);
      entity.members.push(i);
    });
    for (const group of groupCalls(redis, [...byId.values()])) {
      let at = 0;
      for (const entity of group) {
        for (const i of entity.members) {
          cmd[i] = calls.length;
          off[i] = at;
          at += stride;
        }
      }
      calls.push(scripts.applyEvents(decl.name, group));
    }
    // a probe read once: the one repeating it finds its reply where that one's is
    for (let k = 0; k < repeats.length; k += 2) {
      const [i, first] = [repeats[k] as number, repeats[k + 1] as number];
      cmd[i] = cmd[first] as number;
      off[i] = off[first] as number;
    }
    return { cmd, off };
  });
  const replies = await Promise.all(calls);
  const build = vectorBuilder(engine);
  const entityReplies = new Array<number[] | undefined>(where.length);
  const offsets = new Int32Array(where.length);
  return events.map((event, i) => {
    for (let e = 0; e < where.length; e++) {
      const { cmd, off } = where[e] as (typeof where)[number];
      const c = cmd[i] as number;
      const reply = c < 0 ? undefined : (replies[c] as number[]);
      const at = off[i] as number;
      if (reply && reply[at] === ScriptStatus.ExpiredDuplicate) {
        return {
          ok: false,
          error: new ExpiredDuplicateError(
            `event ${event.event_id} was applied before and its stored vector has expired`,
          ),
        };
      }
      entityReplies[e] = reply;
      offsets[e] = at + 1;
    }
    if (roles[i] === 'apply') return { ok: true, value: null };
    return { ok: true, value: build(event.event_time, entityReplies, offsets) };
  });
}

// by set (a candidate source's selection reads a set of its ranking features alone) and plan
const builders = new WeakMap<FeatureSet, { plan: DeclaredPlan; build: DeclaredVectorBuilder }>();
function vectorBuilder(engine: DeclaredEngine): DeclaredVectorBuilder {
  const known = builders.get(engine.set);
  if (known?.plan === engine.plan) return known.build;
  const build = compileDeclaredVector(engine.set, engine.plan.entities);
  builders.set(engine.set, { plan: engine.plan, build });
  return build;
}
