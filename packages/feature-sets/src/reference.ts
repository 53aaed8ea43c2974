import type { Label, Transaction } from '@pipeline/topology';
import { type FeatureSet, WINDOWS, type WindowName } from './dsl.js';
import { eventValue } from './event-values.js';
import { advanceWatermark, NO_WATERMARK, watermarkTime } from './watermark.js';

export type ReferenceEvent = { kind: 'transaction'; value: Transaction } | { kind: 'label'; value: Label };

export type ReferenceResult =
  | { event_id: string; status: 'ok'; values: number[] }
  | { event_id: string; status: 'late' };

/**
 * Brute-force feature vectors from a full event list in arrival order: the definition the online
 * engine must match, and what a trainer can use offline.
 *
 * "As of" a transaction at time t means: the events that arrived before it (earlier in the list)
 * with an event time strictly before t; a label counts from its label_time. A window W covers
 * [floor_G(t) - W, t) (see WINDOWS). A fraud rate with delay D is over the terminal's transactions
 * in the window as of s = t - D, [floor_G(s) - W, s), counting those with a fraud label (by the
 * label's transaction_time) whose label_time < t, once per transaction id and terminal. Per stream
 * (transactions, labels), an event more than `allowedLatenessMs` behind the stream's watermark
 * (watermark.ts: a few outliers do not move it) is late: rejected, no effect. A repeated event id
 * gets the vector of its first occurrence.
 *
 * `only`: compute the vector of this event id alone; the others get empty values. The same
 * definition, at the cost of one vector instead of one per transaction (what referenceStream needs).
 */
export function computeReference(
  set: FeatureSet,
  events: readonly ReferenceEvent[],
  options: { allowedLatenessMs: number; only?: string; watermarkRank?: number },
): ReferenceResult[] {
  const txs: Transaction[] = [];
  const frauds: Label[] = [];
  const seenTx = new Map<string, number[]>();
  const seenLabels = new Set<string>();
  let txWatermark = NO_WATERMARK;
  let labelWatermark = NO_WATERMARK;
  const results: ReferenceResult[] = [];

  for (const event of events) {
    if (event.kind === 'label') {
      const label = event.value;
      if (label.label_time < watermarkTime(labelWatermark, options.watermarkRank) - options.allowedLatenessMs) continue;
      labelWatermark = advanceWatermark(labelWatermark, label.label_time);
      // Genuine labels change nothing; a fraud label counts once per transaction id and terminal.
      const key = `${label.terminal_id}/${label.transaction_id}`;
      if (!label.is_fraud || seenLabels.has(key)) continue;
      seenLabels.add(key);
      frauds.push(label);
      continue;
    }
    const tx = event.value;
    if (tx.event_time < watermarkTime(txWatermark, options.watermarkRank) - options.allowedLatenessMs) {
      results.push({ event_id: tx.event_id, status: 'late' });
      continue;
    }
    txWatermark = advanceWatermark(txWatermark, tx.event_time);
    const previous = seenTx.get(tx.event_id);
    if (previous) {
      results.push({ event_id: tx.event_id, status: 'ok', values: previous });
      continue;
    }
    const values = options.only === undefined || options.only === tx.event_id ? vectorAsOf(set, tx, txs, frauds) : [];
    seenTx.set(tx.event_id, values);
    txs.push(tx);
    results.push({ event_id: tx.event_id, status: 'ok', values });
  }
  return results;
}

function windowStart(t: number, window: WindowName): number {
  const { ms, granularityMs } = WINDOWS[window];
  return Math.floor(t / granularityMs) * granularityMs - ms;
}

function vectorAsOf(set: FeatureSet, tx: Transaction, history: Transaction[], frauds: Label[]): number[] {
  const t = tx.event_time;
  const before = history.filter((h) => h.event_time < t);
  const ofEntity = (entity: string) => {
    if (entity === 'customer') return before.filter((h) => h.customer_id === tx.customer_id);
    if (entity === 'terminal') return before.filter((h) => h.terminal_id === tx.terminal_id);
    throw new Error(`'${entity}' is a declared entity: computeEventReference is its reference`);
  };
  const inWindow = (list: Transaction[], window: WindowName) => {
    const start = windowStart(t, window);
    return list.filter((h) => h.event_time >= start);
  };
  return set.features.map((f) => {
    switch (f.kind) {
      case 'window': {
        const list = inWindow(ofEntity(f.entity), f.window);
        const amounts = list.map((h) => h.amount_minor);
        const sum = amounts.reduce((a, b) => a + b, 0);
        switch (f.op) {
          case 'count':
            return list.length;
          case 'sum':
            return sum;
          case 'mean':
            return list.length === 0 ? Number.NaN : sum / list.length;
          case 'max':
            return list.length === 0 ? Number.NaN : Math.max(...amounts);
          case 'distinct':
            return new Set(list.map((h) => h.terminal_id)).size;
          case 'rate': {
            const s = t - f.delayMs;
            const start = windowStart(s, f.window);
            const base = ofEntity(f.entity).filter((h) => h.event_time >= start && h.event_time < s);
            const n = frauds.filter((l) => {
              const at = l.transaction_time ?? Number.NaN;
              return l.terminal_id === tx.terminal_id && at >= start && at < s && l.label_time < t;
            }).length;
            return base.length === 0 ? Number.NaN : n / base.length;
          }
        }
        return Number.NaN;
      }
      case 'since_prev': {
        const times = ofEntity(f.entity).map((h) => h.event_time);
        return times.length === 0 ? Number.NaN : (t - Math.max(...times)) / 1000;
      }
      case 'relative': {
        const list = inWindow(ofEntity(f.entity), f.window);
        const mean = list.reduce((a, h) => a + h.amount_minor, 0) / list.length;
        return list.length === 0 || !(mean > 0) ? Number.NaN : tx.amount_minor / mean;
      }
      default:
        return eventValue(f, tx);
    }
  });
}
