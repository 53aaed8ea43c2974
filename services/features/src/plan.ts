import { type Entity, type FeatureSet, WINDOWS, type WindowName } from '@pipeline/feature-sets';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the engine keeps and computes for one entity, derived from the declarations. */
export interface EntityPlan {
  /** A transaction entity, or a declared entity's name. */
  entity: string;
  amountWindows: WindowName[];
  distinctWindows: WindowName[];
  /** Windows of the fraud rates, read as of t - delayMs. */
  labelWindows: WindowName[];
  delayMs: number;
  /** Aggregates kept per bucket: n count, s sum, x max. */
  aggs: string;
  /** Bucket retention per level (minute, hour, day), beyond the latest time minus lateness. */
  retentionMs: [number, number, number];
  /** Fraud-label bucket retention per level, beyond the latest time minus lateness and delay. */
  labelRetentionMs: [number, number, number];
  distinctRetentionMs: number;
  /** Terminals kept per customer for distinct counts (most recent first): exact up to this many. */
  distinctCap: number;
  idRetentionMs: number;
  /** How far back the state must reach: the longest window and its bucket, with the delay of rates. */
  reachMs: number;
}

export interface Plan {
  customer: EntityPlan;
  terminal: EntityPlan;
  lateness: number;
  keyTtlMs: number;
  /** How long the aggregates returned for an event are kept for its redelivery. */
  outputRetentionMs: number;
  /** Event time per id bucket (one hash of ids and outputs each): a day, an hour for outputs kept less. */
  idBucketMs: number;
}

/** Default cap of the per-customer terminal list (see README: distinct terminals). */
export const DISTINCT_CAP = 64;

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const order = (ws: WindowName[]): WindowName[] => uniq(ws).sort((a, b) => WINDOWS[a].ms - WINDOWS[b].ms);

/** Compiles a feature set into the per-entity plan the scripts run. */
export function compilePlan(
  set: FeatureSet,
  allowedLatenessMs: number,
  outputRetentionMs = Number.MAX_SAFE_INTEGER,
  distinctCap = DISTINCT_CAP,
): Plan {
  const entityPlan = (entity: Entity) => compileEntityPlan(set, entity, distinctCap);
  const customer = entityPlan('customer');
  const terminal = entityPlan('terminal');
  return {
    customer,
    terminal,
    lateness: allowedLatenessMs,
    keyTtlMs: Math.max(customer.reachMs, terminal.reachMs) + allowedLatenessMs + DAY,
    // outputs are found through the ids, so they cannot outlive them
    outputRetentionMs: Math.min(outputRetentionMs, customer.idRetentionMs, terminal.idRetentionMs),
    idBucketMs: outputRetentionMs < DAY ? HOUR : DAY,
  };
}

/** What the engine keeps for one entity of a set (a transaction entity or a declared one). */
export function compileEntityPlan(set: FeatureSet, entity: string, distinctCap = DISTINCT_CAP): EntityPlan {
  const amount: WindowName[] = [];
  const distinct: WindowName[] = [];
  const label: WindowName[] = [];
  const ops = new Set<string>();
  let delayMs = 0;
  for (const f of set.features) {
    if (f.kind === 'window' && f.entity === entity) {
      if (f.op === 'distinct') distinct.push(f.window);
      else if (f.op === 'rate') {
        label.push(f.window);
        delayMs = f.delayMs; // one per entity (featureSet checks)
      } else {
        amount.push(f.window);
        ops.add(f.op);
      }
    }
    if (f.kind === 'relative' && f.entity === entity) {
      amount.push(f.window);
      ops.add('sum');
    }
  }
  const aggs = `n${ops.has('sum') || ops.has('mean') ? 's' : ''}${ops.has('max') ? 'x' : ''}`;
  const all = [...amount, ...distinct, ...label];
  // A level serves its own windows and the partial current bucket of coarser windows.
  const retentionOf = (ws: WindowName[]): [number, number, number] => {
    const maxFor = (g: number) =>
      Math.max(0, ...ws.filter((w) => WINDOWS[w].granularityMs === g).map((w) => WINDOWS[w].ms));
    const usesDay = maxFor(DAY) > 0;
    const usesHourOrDay = usesDay || maxFor(HOUR) > 0;
    return [
      Math.max(maxFor(MINUTE), usesHourOrDay ? HOUR : 0) + MINUTE,
      Math.max(maxFor(HOUR), usesDay ? DAY : 0) + HOUR,
      maxFor(DAY) + DAY,
    ];
  };
  // Delayed reads take the minute level's part from raw times, so they need no minute buckets;
  // the transaction buckets serve both the windows as of t and the rates' windows as of t - delay.
  const delayed = retentionOf(label);
  const labelRetentionMs: [number, number, number] = label.length > 0 ? [0, delayed[1], delayed[2]] : [0, 0, 0];
  const own = retentionOf([...amount, ...distinct]);
  const retentionMs: [number, number, number] = [
    own[0],
    Math.max(own[1], labelRetentionMs[1] > 0 ? labelRetentionMs[1] + delayMs : 0),
    Math.max(own[2], labelRetentionMs[2] > 0 ? labelRetentionMs[2] + delayMs : 0),
  ];
  const longest = Math.max(...all.map((w) => WINDOWS[w].ms + WINDOWS[w].granularityMs));
  return {
    entity,
    amountWindows: order(amount),
    distinctWindows: order(distinct),
    labelWindows: order(label),
    delayMs,
    aggs,
    retentionMs,
    labelRetentionMs,
    distinctRetentionMs: Math.max(0, ...distinct.map((w) => WINDOWS[w].ms + WINDOWS[w].granularityMs)),
    distinctCap,
    idRetentionMs: longest,
    reachMs: Math.max(longest, ...label.map((w) => WINDOWS[w].ms + WINDOWS[w].granularityMs + delayMs)),
  };
}

const LEVEL: Record<number, number> = { [MINUTE]: 1, [HOUR]: 2, [DAY]: 3 };

/**
 * Event time per hash of recorded reads: the retention, between a minute and an hour. A hash's
 * expiry moves with its latest record, so live, records are kept up to a bucket longer than asked.
 */
export function probeBucketMs(probeRetentionMs: number): number {
  return Math.min(HOUR, Math.max(MINUTE, probeRetentionMs));
}

/**
 * The plan as a Lua table literal, prepended to the scripts: constants baked into the script text
 * instead of parsed from arguments on every call (the script's SHA follows the plan).
 */
export function planLua(
  plan: EntityPlan,
  p: Pick<Plan, 'lateness' | 'keyTtlMs' | 'outputRetentionMs' | 'idBucketMs'> & { probeRetentionMs?: number },
): string {
  const level = (w: WindowName) => LEVEL[WINDOWS[w].granularityMs] as number;
  const wins = (ws: WindowName[]) => `{ ${ws.map((w) => `{ w = ${WINDOWS[w].ms}, L = ${level(w)} }`).join(', ')} }`;
  // Per bucket level: the windows at that level (narrowest first) and whether a coarser window
  // needs this level's part of its current bucket. One backward scan per level serves them all.
  const levels = (ws: WindowName[]) => {
    const top = Math.max(0, ...ws.map(level));
    const entries = [1, 2, 3].map((L) => {
      const at = ws.flatMap((w, i) => (level(w) === L ? [i + 1] : []));
      return `{ partial = ${L < top}, wins = { ${at.join(', ')} } }`;
    });
    return `{ ${entries.join(', ')} }`;
  };
  const int = (n: number) => String(Math.min(n, Number.MAX_SAFE_INTEGER));
  // transaction plans record no reads: their ids' retention stands in
  const probeRetention = p.probeRetentionMs ?? plan.idRetentionMs;
  const aggs = [...plan.aggs];
  // struct record of a transaction bucket: index, then each aggregate (count i4; sum, max as doubles)
  const record = `i4${aggs.map((a) => (a === 'n' ? 'i4' : 'd')).join('')}`;
  return [
    'local PLAN = {',
    `  aggs = { ${aggs.map((a) => `'${a}'`).join(', ')} },`,
    `  sumAt = ${aggs.indexOf('s') + 1},`,
    `  maxAt = ${aggs.indexOf('x') + 1},`,
    `  txRecord = '${record}',`,
    `  amount = ${wins(plan.amountWindows)},`,
    `  amountLevels = ${levels(plan.amountWindows)},`,
    `  distinct = ${wins(plan.distinctWindows)},`,
    `  labels = ${wins(plan.labelWindows)},`,
    `  delay = ${int(plan.delayMs)},`,
    `  minuteRates = ${plan.labelWindows.some((w) => level(w) === 1)},`,
    `  labelRetention = { ${plan.labelRetentionMs.map(int).join(', ')} },`,
    `  width = ${layoutOf(plan).width},`,
    `  lateness = ${int(p.lateness)},`,
    `  retention = { ${plan.retentionMs.map(int).join(', ')} },`,
    `  distinctRetention = ${int(plan.distinctRetentionMs)},`,
    `  distinctCap = ${int(plan.distinctCap)},`,
    `  idRetention = ${int(plan.idRetentionMs)},`,
    `  outputRetention = ${int(p.outputRetentionMs)},`,
    `  keyTtl = ${int(p.keyTtlMs)},`,
    `  idBucket = ${int(p.idBucketMs)},`,
    // reads ('|' ids) are recorded apart: kept this long (wall clock), in buckets of event time
    `  probeRetention = ${int(probeRetention)},`,
    `  probeBucket = ${int(probeBucketMs(probeRetention))},`,
    '}',
  ].join('\n');
}

/** Where each aggregate sits in the script's per-event reply (-1: not kept). */
export interface Layout {
  width: number;
  amount: { window: WindowName; n: number; s: number; x: number }[];
  distinct: { window: WindowName; at: number }[];
  prev: number;
  /** Per rate window: fraud-labelled transactions (f) and transactions (n) of the delayed window. */
  frauds: { window: WindowName; f: number; n: number }[];
}

export function layoutOf(plan: EntityPlan): Layout {
  let at = 0;
  const amount = plan.amountWindows.map((window) => {
    const pos = { window, n: -1, s: -1, x: -1 };
    for (const a of plan.aggs) pos[a as 'n' | 's' | 'x'] = at++;
    return pos;
  });
  const distinct = plan.distinctWindows.map((window) => ({ window, at: at++ }));
  const prev = at++;
  const frauds = plan.labelWindows.map((window) => {
    const f = at++;
    return { window, f, n: at++ };
  });
  return { width: at, amount, distinct, prev, frauds };
}

/** One entity's aggregates as the script returns them. */
export interface Aggregates {
  amount: Map<WindowName, { n: number; s: number; x: number }>;
  distinct: Map<WindowName, number>;
  prevTime: number;
  frauds: Map<WindowName, { f: number; n: number }>;
}

/** The aggregates at `offset` of a script reply; what the plan does not keep is NaN, as is "no previous". */
export function unpackAggregates(plan: EntityPlan, reply: readonly number[], offset = 0): Aggregates {
  const layout = layoutOf(plan);
  const get = (i: number) => (i < 0 ? Number.NaN : Number(reply[offset + i]));
  const prevTime = get(layout.prev);
  return {
    amount: new Map(layout.amount.map((a) => [a.window, { n: get(a.n), s: get(a.s), x: get(a.x) }])),
    distinct: new Map(layout.distinct.map((d) => [d.window, get(d.at)])),
    prevTime: prevTime > 0 ? prevTime : Number.NaN,
    frauds: new Map(layout.frauds.map((r) => [r.window, { f: get(r.f), n: get(r.n) }])),
  };
}
