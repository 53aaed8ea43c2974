import { type Entity, type FeatureSet, WINDOWS, type WindowName } from '@pipeline/feature-sets';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the engine keeps and computes for one entity, derived from the declarations. */
export interface EntityPlan {
  entity: Entity;
  amountWindows: WindowName[];
  distinctWindows: WindowName[];
  labelWindows: WindowName[];
  /** Aggregates kept per bucket: n count, s sum, x max. */
  aggs: string;
  /** Bucket retention per level (minute, hour, day), beyond the latest time minus lateness. */
  retentionMs: [number, number, number];
  distinctRetentionMs: number;
  idRetentionMs: number;
}

export interface Plan {
  customer: EntityPlan;
  terminal: EntityPlan;
  lateness: number;
  keyTtlMs: number;
  /** How long the aggregates returned for an event are kept for its redelivery. */
  outputRetentionMs: number;
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const order = (ws: WindowName[]): WindowName[] => uniq(ws).sort((a, b) => WINDOWS[a].ms - WINDOWS[b].ms);

/** Compiles a feature set into the per-entity plan the scripts run. */
export function compilePlan(
  set: FeatureSet,
  allowedLatenessMs: number,
  outputRetentionMs = Number.MAX_SAFE_INTEGER,
): Plan {
  const entityPlan = (entity: Entity): EntityPlan => {
    const amount: WindowName[] = [];
    const distinct: WindowName[] = [];
    const label: WindowName[] = [];
    const ops = new Set<string>();
    for (const f of set.features) {
      if (f.kind === 'window' && f.entity === entity) {
        if (f.op === 'distinct') distinct.push(f.window);
        else {
          amount.push(f.window);
          if (f.op === 'rate') label.push(f.window);
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
    const maxFor = (g: number) =>
      Math.max(0, ...all.filter((w) => WINDOWS[w].granularityMs === g).map((w) => WINDOWS[w].ms));
    const usesDay = maxFor(DAY) > 0;
    const usesHourOrDay = usesDay || maxFor(HOUR) > 0;
    // A level serves its own windows and the partial current bucket of coarser windows.
    const retentionMs: [number, number, number] = [
      Math.max(maxFor(MINUTE), usesHourOrDay ? HOUR : 0) + MINUTE,
      Math.max(maxFor(HOUR), usesDay ? DAY : 0) + HOUR,
      maxFor(DAY) + DAY,
    ];
    const longest = Math.max(...all.map((w) => WINDOWS[w].ms + WINDOWS[w].granularityMs));
    return {
      entity,
      amountWindows: order(amount),
      distinctWindows: order(distinct),
      labelWindows: order(label),
      aggs,
      retentionMs,
      distinctRetentionMs: Math.max(0, ...distinct.map((w) => WINDOWS[w].ms + WINDOWS[w].granularityMs)),
      idRetentionMs: longest,
    };
  };
  const customer = entityPlan('customer');
  const terminal = entityPlan('terminal');
  return {
    customer,
    terminal,
    lateness: allowedLatenessMs,
    keyTtlMs: Math.max(customer.idRetentionMs, terminal.idRetentionMs) + allowedLatenessMs + DAY,
    // outputs are found through the ids, so they cannot outlive them
    outputRetentionMs: Math.min(outputRetentionMs, customer.idRetentionMs, terminal.idRetentionMs),
  };
}

export const windowSpec = (ws: WindowName[]): string =>
  ws.map((w) => `${WINDOWS[w].ms}:${WINDOWS[w].granularityMs}`).join(';');

/** One entity's aggregates as the script returns them. */
export interface Aggregates {
  amount: Map<WindowName, { n: number; s: number; x: number }>;
  distinct: Map<WindowName, number>;
  prevTime: number;
  frauds: Map<WindowName, number>;
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? Number.NaN : Number(s));

export function unpackAggregates(plan: EntityPlan, packed: string): Aggregates {
  const parts = packed.split(',');
  let i = 0;
  const amount = new Map<WindowName, { n: number; s: number; x: number }>();
  for (const w of plan.amountWindows) {
    amount.set(w, { n: num(parts[i]), s: num(parts[i + 1]), x: num(parts[i + 2]) });
    i += 3;
  }
  const distinct = new Map<WindowName, number>();
  for (const w of plan.distinctWindows) distinct.set(w, num(parts[i++]));
  const prevTime = num(parts[i++]);
  const frauds = new Map<WindowName, number>();
  for (const w of plan.labelWindows) frauds.set(w, num(parts[i++]));
  return { amount, distinct, prevTime, frauds };
}
