import { type EntityDecl, type FeatureDef, type FeatureSet, WINDOWS, type WindowName } from './dsl.js';

/** An event of any stream: an event_id, an event_time, and the fields its set's entities name. */
export interface FieldEvent {
  readonly event_id: string;
  readonly event_time: number;
}

const field = (event: FieldEvent, name: string) => String((event as unknown as Record<string, unknown>)[name]);

/** The entity's id of an event: its key fields joined by '|', which ids never hold. */
export function entityId(decl: EntityDecl, event: FieldEvent): string {
  return decl.key.map((name) => field(event, name)).join('|');
}

/** Whether the event changes the entity's state (it reads it either way). */
export function changes(decl: EntityDecl, event: FieldEvent): boolean {
  return decl.when === undefined || decl.when.in.includes(field(event, decl.when.field));
}

/**
 * Brute-force vectors of a set over declared entities, from its events in arrival order: the
 * definition the engine must match (`computeReference` is the transactions' one, with labels).
 *
 * As of an event at t, an entity's history is the events that arrived before it, changed that
 * entity (`when`), have its id, and an event time strictly before t; a repeated event id counts
 * once and gets the vector of its first occurrence. A window W covers [floor_G(t) - W, t) (see
 * WINDOWS). Lateness is the caller's: give it only events its watermark accepts.
 */
export function computeEventReference(set: FeatureSet, events: readonly FieldEvent[]): number[][] {
  const seen = new Map<string, number[]>();
  const history: Seen[] = [];
  return events.map((event) => {
    const previous = seen.get(event.event_id);
    if (previous) return previous;
    // per declared entity, the event's id there, or undefined where it does not change it
    const self: Seen = { event, ids: set.entities.map((d) => (changes(d, event) ? entityId(d, event) : undefined)) };
    const values = vectorAsOf(set, event, history);
    seen.set(event.event_id, values);
    history.push(self);
    return values;
  });
}

interface Seen {
  event: FieldEvent;
  ids: (string | undefined)[];
}

function vectorAsOf(set: FeatureSet, event: FieldEvent, history: readonly Seen[]): number[] {
  const t = event.event_time;
  const lists = new Map<string, FieldEvent[]>();
  const ofEntity = (name: string) => {
    const cached = lists.get(name);
    if (cached) return cached;
    const k = set.entities.findIndex((d) => d.name === name);
    const decl = set.entities[k];
    if (!decl) throw new Error(`'${name}' is not a declared entity of ${set.name}`);
    const id = entityId(decl, event);
    const list = history.filter((h) => h.event.event_time < t && h.ids[k] === id).map((h) => h.event);
    lists.set(name, list);
    return list;
  };
  const windowStart = (window: WindowName) => {
    const { ms, granularityMs } = WINDOWS[window];
    return Math.floor(t / granularityMs) * granularityMs - ms;
  };
  const byName = new Map<string, number>();
  const value = (f: FeatureDef): number => {
    switch (f.kind) {
      case 'window': {
        if (f.op !== 'count') throw new Error(`'${f.name}': ${f.op} is not declared on declared entities`);
        const start = windowStart(f.window);
        return ofEntity(f.entity).filter((h) => h.event_time >= start).length;
      }
      case 'since_prev': {
        const times = ofEntity(f.entity).map((h) => h.event_time);
        return times.length === 0 ? Number.NaN : (t - Math.max(...times)) / 1000;
      }
      default:
        return Number.NaN;
    }
  };
  const values = set.features.map((f) => {
    const v = value(f);
    byName.set(f.name, v);
    return v;
  });
  // ratios last: they read other features of the set, wherever declared
  set.features.forEach((f, i) => {
    if (f.kind !== 'ratio') return;
    const d = byName.get(f.denominator) as number;
    values[i] = d === 0 ? Number.NaN : (byName.get(f.numerator) as number) / d;
  });
  return values;
}
