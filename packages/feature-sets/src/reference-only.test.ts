import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { fraudFeatureSet } from './fraud.js';
import { computeReference, type ReferenceEvent } from './reference.js';

const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 5);

function tx(id: string, hours: number, amount: number): ReferenceEvent {
  const value: Transaction = {
    event_id: id,
    event_time: start + hours * HOUR,
    customer_id: 'C1',
    terminal_id: 'T1',
    amount_minor: amount,
    currency: 'EUR',
    channel: 'POS',
    country: 'FR',
    device_hash: null,
    ip_hash: null,
  };
  return { kind: 'transaction', value };
}

const events = [tx('a', 0, 100), tx('b', 1, 250), tx('c', 2, 400), tx('b', 3, 250), tx('d', 4, 50)];
const lateness = { allowedLatenessMs: Number.MAX_SAFE_INTEGER };

describe('computeReference with only', () => {
  const full = computeReference(fraudFeatureSet, events, lateness);

  it('gives that event the vector the full computation gives, and the others none', () => {
    for (const id of ['a', 'c', 'd']) {
      const one = computeReference(fraudFeatureSet, events, { ...lateness, only: id });
      expect(one.map((r) => r.event_id)).toEqual(full.map((r) => r.event_id));
      one.forEach((r, i) => {
        const expected = r.event_id === id ? full[i] : { event_id: r.event_id, status: 'ok', values: [] };
        expect(r, `${id}: result ${i}`).toEqual(expected);
      });
    }
  });

  it('gives a repeated id the vector of its first occurrence', () => {
    const one = computeReference(fraudFeatureSet, events, { ...lateness, only: 'b' });
    expect(one[3]).toEqual(full[1]);
    expect(one[3]).toEqual(full[3]);
    expect(full[1]?.status === 'ok' && full[1].values.length).toBe(fraudFeatureSet.names.length);
  });
});
