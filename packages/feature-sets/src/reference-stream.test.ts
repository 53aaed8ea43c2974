import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { fraudFeatureSet } from './fraud.js';
import { computeReference, type ReferenceEvent } from './reference.js';
import { referenceStream } from './reference-stream.js';

const DAY = 86_400_000;

/** A seeded stream over 90 days: 6 customers, 3 terminals, fraud labels days later, in time order. */
function stream(): ReferenceEvent[] {
  let x = 7;
  const rand = () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
  const events: { time: number; event: ReferenceEvent }[] = [];
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 300; i++) {
    t += Math.floor(rand() * 0.6 * DAY);
    const tx: Transaction = {
      event_id: `e${i}`,
      event_time: t,
      customer_id: `C${Math.floor(rand() * 6)}`,
      terminal_id: `T${Math.floor(rand() * 3)}`,
      amount_minor: 100 + Math.floor(rand() * 50_000),
      currency: 'EUR',
      channel: 'POS',
      country: 'FR',
      device_hash: null,
      ip_hash: null,
    };
    events.push({ time: t, event: { kind: 'transaction', value: tx } });
    const label: Label = {
      transaction_id: tx.event_id,
      customer_id: tx.customer_id,
      terminal_id: tx.terminal_id,
      is_fraud: rand() < 0.2,
      label_time: t + Math.floor(rand() * 5 * DAY),
      transaction_time: t,
    };
    events.push({ time: label.label_time, event: { kind: 'label', value: label } });
  }
  return events.sort((a, b) => a.time - b.time).map((e) => e.event);
}

describe('referenceStream', () => {
  it('gives every transaction the vector computeReference gives over the whole stream', () => {
    const events = stream();
    const full = computeReference(fraudFeatureSet, events, { allowedLatenessMs: Number.MAX_SAFE_INTEGER });
    const reference = referenceStream(fraudFeatureSet);
    const incremental: (number[] | undefined)[] = [];
    for (const e of events) {
      if (e.kind === 'label') reference.label(e.value);
      else incremental.push(reference.transaction(e.value));
    }
    const expected = full.map((r) => (r.status === 'ok' ? r.values : undefined));
    expect(incremental).toHaveLength(300);
    expect(incremental).toEqual(expected);
  });

  it('computes nothing for history-only transactions', () => {
    const reference = referenceStream(fraudFeatureSet);
    const [first] = stream();
    if (first?.kind !== 'transaction') throw new Error('stream starts with a transaction');
    expect(reference.transaction(first.value, false)).toBeUndefined();
  });
});
