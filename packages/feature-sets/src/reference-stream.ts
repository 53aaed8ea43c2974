import type { Label, Transaction } from '@pipeline/topology';
import { type FeatureSet, reachMs } from './dsl.js';
import { computeReference, type ReferenceEvent } from './reference.js';

interface Seen {
  seq: number;
  event: ReferenceEvent;
  time: number;
}

/**
 * `computeReference` for a long event-time-ordered stream. It is brute force over its list
 * (quadratic), so each transaction's vector is computed over just the events that can matter to it:
 * its customer's transactions of the last `keepMs` (and the one before them, for the time since the
 * previous one), its terminal's transactions and fraud labels of the last `keepMs` (labels by label
 * time, which is never before their transaction's). With `keepMs` longer than the longest window
 * plus its delay plus one bucket (`reachMs`, the default), the vector equals the one over the full
 * stream; a shorter one is refused.
 */
export function referenceStream(set: FeatureSet, keepMs = reachMs(set) + 60_000) {
  if (keepMs <= reachMs(set)) throw new Error(`keepMs ${keepMs} does not cover the feature set's reach`);
  const byCustomer = new Map<string, Seen[]>();
  const byTerminalTx = new Map<string, Seen[]>();
  const byTerminalFraud = new Map<string, Seen[]>();
  let seq = 0;
  const push = (map: Map<string, Seen[]>, key: string, item: Seen) => {
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  };
  const trim = (list: Seen[], from: number) => {
    let i = 0;
    while (i < list.length && (list[i] as Seen).time < from) i++;
    if (i > 0) list.splice(0, i);
  };

  return {
    /** A label, in stream order; only fraud labels change features. */
    label(label: Label): void {
      seq++;
      if (label.is_fraud) {
        push(byTerminalFraud, label.terminal_id, {
          seq,
          event: { kind: 'label', value: label },
          time: label.label_time,
        });
      }
    },
    /** A transaction, in stream order: its vector, or undefined with `compute: false` (history only). */
    transaction(tx: Transaction, compute = true): number[] | undefined {
      seq++;
      const self: ReferenceEvent = { kind: 'transaction', value: tx };
      let values: number[] | undefined;
      if (compute) {
        const cust = byCustomer.get(tx.customer_id) ?? [];
        const term = byTerminalTx.get(tx.terminal_id) ?? [];
        const fraud = byTerminalFraud.get(tx.terminal_id) ?? [];
        trim(term, tx.event_time - keepMs);
        trim(fraud, tx.event_time - keepMs);
        const recent = cust.filter((s, i) => s.time >= tx.event_time - keepMs || i === cust.length - 1);
        byCustomer.set(tx.customer_id, recent);
        const merged = new Map<number, Seen>();
        for (const s of [...recent, ...term, ...fraud]) merged.set(s.seq, s);
        const history = [...merged.values()].sort((a, b) => a.seq - b.seq).map((s) => s.event);
        const result = computeReference(set, [...history, self], {
          allowedLatenessMs: Number.MAX_SAFE_INTEGER,
          only: tx.event_id,
        }).at(-1);
        if (result?.status !== 'ok') throw new Error(`no vector for ${tx.event_id}`);
        values = result.values;
      }
      const item = { seq, event: self, time: tx.event_time };
      push(byCustomer, tx.customer_id, item);
      push(byTerminalTx, tx.terminal_id, item);
      return values;
    },
  };
}
