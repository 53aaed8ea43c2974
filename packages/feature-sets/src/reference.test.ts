import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { agg, featureSet, groupBy } from './dsl.js';
import { computeReference, type ReferenceEvent } from './reference.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
// t: a Monday 10:30, so s = t - 7d is mid-hour: the 1d window is [floor_H(s) - 1d, s)
const t = Date.UTC(2026, 2, 9, 10, 30);
const s = t - 7 * DAY;
const start1d = Date.UTC(2026, 2, 2, 10) - DAY;

const set = featureSet({
  name: 'rates',
  version: 1,
  features: [groupBy({ entity: 'terminal', aggs: [agg('fraud', 'rate', ['1d', '7d'], { delay: '7d' })] })],
});

const tx = (id: string, at: number, terminal = 'T1'): ReferenceEvent => ({
  kind: 'transaction',
  value: {
    event_id: id,
    event_time: at,
    customer_id: `C-${id}`,
    terminal_id: terminal,
    amount_minor: 100,
    currency: 'EUR',
    channel: 'POS',
    country: 'FR',
    device_hash: null,
    ip_hash: null,
  } satisfies Transaction,
});
const fraud = (id: string, transactionTime: number, labelTime: number, over: Partial<Label> = {}): ReferenceEvent => ({
  kind: 'label',
  value: {
    transaction_id: id,
    customer_id: `C-${id}`,
    terminal_id: 'T1',
    is_fraud: true,
    label_time: labelTime,
    transaction_time: transactionTime,
    ...over,
  },
});

/** The rates [1d, 7d] of the last event, a transaction at t on T1. */
function ratesAtT(events: ReferenceEvent[]): number[] {
  const results = computeReference(set, [...events, tx('now', t)], { allowedLatenessMs: Number.MAX_SAFE_INTEGER });
  const last = results.at(-1);
  if (last?.status !== 'ok') throw new Error('no vector');
  return last.values;
}

describe('terminal fraud rate with a 7-day delay', () => {
  it('is over the window as of t - 7d: its edges included at the start, excluded at s', () => {
    const events = [
      tx('before-start', start1d - 1),
      tx('at-start', start1d),
      tx('last', s - 1),
      tx('at-s', s),
      tx('recent', t - HOUR),
      fraud('at-start', start1d, s + DAY),
      fraud('at-s', s, s + DAY),
      fraud('recent', t - HOUR, t - 1),
    ];
    // 1d: at-start and last, one of them fraud; 7d: [s's day - 7d, s) adds before-start
    expect(ratesAtT(events)).toEqual([1 / 2, 1 / 3]);
  });

  it('counts a fraud label only once known: label_time before t, not at t', () => {
    const base = [tx('a', s - 2 * HOUR), tx('b', s - HOUR)];
    expect(ratesAtT([...base, fraud('a', s - 2 * HOUR, t - 1)])).toEqual([1 / 2, 1 / 2]);
    expect(ratesAtT([...base, fraud('a', s - 2 * HOUR, t)])).toEqual([0, 0]);
    expect(ratesAtT([...base, fraud('a', s - 2 * HOUR, t + DAY)])).toEqual([0, 0]);
  });

  it('counts a label that arrived before its transaction', () => {
    expect(ratesAtT([fraud('a', s - HOUR, s), tx('a', s - HOUR), tx('b', s - 2 * HOUR)])).toEqual([1 / 2, 1 / 2]);
  });

  it('is NaN with no transaction in the delayed window, whatever the labels', () => {
    const rates = ratesAtT([tx('old', s - 9 * DAY), fraud('x', s - HOUR, t - 1)]);
    expect(rates.every(Number.isNaN)).toBe(true);
  });

  it('never goes above 1: labels of other transactions, other terminals and repeats do not count', () => {
    const events = [
      tx('a', s - HOUR),
      tx('b', s - 2 * HOUR),
      // the same transaction labelled three times, once as a correction
      fraud('a', s - HOUR, s + HOUR),
      fraud('a', s - HOUR, s + 2 * HOUR),
      fraud('a', s - HOUR, s + 3 * HOUR, { is_fraud: false }),
      // frauds of transactions after s (which version 1 divided by this window's count), another
      // terminal's, and genuine labels
      ...[1, 2, 3].map((k) => fraud(`late${k}`, s + k * HOUR, t - HOUR)),
      fraud('elsewhere', s - HOUR, t - HOUR, { terminal_id: 'T2' }),
      fraud('b', s - 2 * HOUR, t - HOUR, { is_fraud: false }),
    ];
    const rates = ratesAtT(events);
    expect(rates).toEqual([1 / 2, 1 / 2]);
    for (const r of rates) expect(r).toBeLessThanOrEqual(1);
  });
});
