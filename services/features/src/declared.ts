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
import { compileEntityPlan, type EntityPlan, layoutOf, unpackAggregates } from './plan.js';
import { declaredScriptsFor } from './scripts.js';
import { checkTime } from './validate.js';
import { entityValue } from './vector.js';

/**
 * The engine over entities a feature set declares (`entity` in @pipeline/feature-sets), for event
 * streams other than transactions: the same plan compiler, the same script and state layout, one
 * script call per entity id per batch. An event changes the entities its type feeds and reads the
 * others as of its time, in the same call and in batch order ('|' before its id in the script's
 * input), both recorded under its id for a redelivery.
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
  const { plan, set, prefix } = engine;
  const scripts = declaredScriptsFor(redis, plan);
  const calls: Promise<number[]>[] = [];
  // per entity, per event: which call holds its reply, and where
  const where = set.entities.map((decl) => {
    const stride = 1 + layoutOf(plan.entities[decl.name] as EntityPlan).width;
    const cmd = new Array<number>(events.length);
    const off = new Array<number>(events.length);
    const groups = new Map<string, number[]>();
    events.forEach((event, i) => {
      const id = entityId(decl, event);
      const group = groups.get(id);
      if (group) group.push(i);
      else groups.set(id, [i]);
    });
    for (const [id, members] of groups) {
      const args: (string | number)[] = [];
      members.forEach((i, k) => {
        const event = events[i] as FieldEvent;
        // '|' (which no id holds) marks a read: recorded under its id, nothing applied
        const eventId = changes(decl, event) ? event.event_id : `|${event.event_id}`;
        args.push(eventId, event.event_time, 0, '', horizons[i] as number);
        cmd[i] = calls.length;
        off[i] = k * stride;
      });
      calls.push(scripts.applyEvents(decl.name, taggedKeys(prefix, decl.tag, id), args));
    }
    return { decl, cmd, off };
  });
  const replies = await Promise.all(calls);
  const positions = new Map(set.names.map((name, i) => [name, i]));
  return events.map((event, i) => {
    const aggregates = new Map<string, ReturnType<typeof unpackAggregates>>();
    for (const { decl, cmd, off } of where) {
      const reply = replies[cmd[i] as number] as number[];
      const at = off[i] as number;
      if (reply[at] === ScriptStatus.ExpiredDuplicate) {
        return {
          ok: false,
          error: new ExpiredDuplicateError(
            `event ${event.event_id} was applied before and its stored vector has expired`,
          ),
        };
      }
      aggregates.set(decl.name, unpackAggregates(plan.entities[decl.name] as EntityPlan, reply, at + 1));
    }
    const values = set.features.map((f) => {
      if (f.kind !== 'window' && f.kind !== 'since_prev') return Number.NaN;
      const agg = aggregates.get(f.entity);
      return agg ? entityValue(f, agg, event.event_time, undefined) : Number.NaN;
    });
    // ratios last: they read other features of the set
    set.features.forEach((f, k) => {
      if (f.kind !== 'ratio') return;
      const d = values[positions.get(f.denominator) as number] as number;
      values[k] = d === 0 ? Number.NaN : (values[positions.get(f.numerator) as number] as number) / d;
    });
    return { ok: true, value: values };
  });
}
