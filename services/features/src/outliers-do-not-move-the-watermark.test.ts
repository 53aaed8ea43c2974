import { NO_WATERMARK } from '@pipeline/feature-sets';
import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { checkTransactions, type Engine } from './engine.js';
import { BadInputError, LateEventError } from './errors.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const engine = {
  rules: { maxAmountMinor: 1_000_000, maxFutureMs: 60 * MIN, allowedLatenessMs: 5 * MIN },
} as Engine;
const tx = (id: string, event_time: number): Transaction => ({
  event_id: id,
  event_time,
  customer_id: `C${id.length}`,
  terminal_id: 'T1',
  amount_minor: 500,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
});
/** A second apart, from T0 on. */
const traffic = (prefix: string, n: number, from = T0) =>
  Array.from({ length: n }, (_, i) => tx(`${prefix}${i}`, from + i * 1000));
/** Twelve transactions, each 55 minutes after the previous one (each within the future limit of it). */
const outliers = (from: number) => Array.from({ length: 12 }, (_, i) => tx(`x${i}`, from + (i + 1) * 55 * MIN));

describe('a partition fed a dozen outliers ahead of its traffic', () => {
  it('replayed (event times far behind the clock): takes them, and every valid transaction after them', () => {
    const now = Date.UTC(2026, 11, 1);
    const before = traffic('a', 100);
    const after = traffic('b', 2845, T0 + 100_000);
    const checked = checkTransactions(engine, [...before, ...outliers(T0 + 99_000), ...after], NO_WATERMARK, now);
    expect(checked.refused.filter(Boolean)).toEqual([]);
    expect(checked.late).toBe(0);
  });

  it('live (event times near the clock): refuses the ones past the future limit, and takes the traffic', () => {
    const now = T0 + 100_000;
    const checked = checkTransactions(
      engine,
      [...traffic('a', 100), ...outliers(T0 + 99_000), ...traffic('b', 2845, T0 + 100_000)],
      NO_WATERMARK,
      now,
    );
    const refused = checked.refused.flatMap((e, i) => (e ? [i] : []));
    // the first outlier is within an hour of the clock; the other eleven are not
    expect(refused).toEqual(Array.from({ length: 11 }, (_, i) => 101 + i));
    expect(checked.refused.every((e) => e === undefined || e instanceof BadInputError)).toBe(true);
  });

  it('still refuses a transaction later than the allowed lateness behind the traffic', () => {
    const checked = checkTransactions(engine, [...traffic('a', 100), tx('old', T0 - 10 * MIN)], NO_WATERMARK, T0);
    expect(checked.refused.at(-1)).toBeInstanceOf(LateEventError);
  });
});
