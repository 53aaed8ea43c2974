import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { DAY_MS, defaultConfig, validateConfig } from './config.js';
import type { SimEvent } from './events.js';
import { simulate } from './simulate.js';

type Tx = Transaction & { scenario: Extract<SimEvent, { kind: 'transaction' }>['scenario'] };

function transactions(events: Iterable<SimEvent>): Tx[] {
  const out: Tx[] = [];
  for (const event of events) if (event.kind === 'transaction') out.push({ ...event.value, scenario: event.scenario });
  return out;
}

const base = { seed: 21, customers: 400, terminals: 800, days: 6 };

describe('amount drift (opt-in)', () => {
  it('multiplies the genuine amounts of a segment from the given day on, and leaves the days before it alone', () => {
    const plain = transactions(simulate(base));
    const drifted = transactions(simulate({ ...base, amountDrift: { fromDay: 3, multiplier: 3, customerShare: 0.5 } }));
    const start = defaultConfig.startTime;
    const before = (list: Tx[]) => list.filter((t) => t.event_time < start + 3 * DAY_MS);
    expect(before(drifted)).toEqual(before(plain));
    const after = (list: Tx[]) => list.filter((t) => t.event_time >= start + 3 * DAY_MS && t.scenario === null);
    const mean = (list: Tx[]) => list.reduce((s, t) => s + t.amount_minor, 0) / list.length;
    const ratio = mean(after(drifted)) / mean(after(plain));
    // Half the customers at three times their amounts: about twice the mean overall.
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.4);
  });
});

describe('card testing (opt-in)', () => {
  it('adds tiny night-time frauds from the given day on, on top of the configured fraud', () => {
    const events = transactions(simulate({ ...base, fraudRate: 0.01, cardTesting: { fromDay: 2, rate: 0.05 } }));
    const testing = events.filter((t) => t.scenario === 'card_testing');
    const start = defaultConfig.startTime;
    expect(testing.length).toBeGreaterThan(0.03 * events.length);
    for (const t of testing) {
      expect(t.event_time).toBeGreaterThanOrEqual(start + 2 * DAY_MS);
      const hour = new Date(t.event_time).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(1);
      expect(hour).toBeLessThan(5);
      expect(t.amount_minor === 1_000 || t.amount_minor <= 500).toBe(true); // ATMs round up to 10 EUR
    }
    const other = events.filter((t) => t.scenario !== null && t.scenario !== 'card_testing').length;
    expect(other / events.length).toBeGreaterThan(0.005);
    expect(other / events.length).toBeLessThan(0.02);
  });

  it('refuses bad values, naming the field', () => {
    expect(() => validateConfig({ cardTesting: { rate: -0.1 } })).toThrow(/cardTesting\.rate/);
    expect(() => validateConfig({ amountDrift: { multiplier: 0 } })).toThrow(/amountDrift\.multiplier/);
    expect(() => validateConfig({ amountDrift: { customerShare: 2 } })).toThrow(/amountDrift\.customerShare/);
  });
});
