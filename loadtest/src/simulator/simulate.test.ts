import { createHash } from 'node:crypto';
import type { Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from './config.js';
import { FRAUD_SCENARIOS, type FraudScenario, type SimEvent } from './events.js';
import { expectedTransactionsPerDay, simulate } from './simulate.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;

function digest(events: Iterable<SimEvent>, limit: number): string {
  const hash = createHash('sha256');
  let n = 0;
  for (const event of events) {
    hash.update(JSON.stringify(event));
    if (++n >= limit) break;
  }
  return hash.digest('hex');
}

type Tx = Transaction & { scenario: Extract<SimEvent, { kind: 'transaction' }>['scenario'] };

function transactions(events: Iterable<SimEvent>): Tx[] {
  const out: Tx[] = [];
  for (const event of events) if (event.kind === 'transaction') out.push({ ...event.value, scenario: event.scenario });
  return out;
}

describe('simulate', () => {
  it('yields the same events for the same seed and parameters, other events for another seed', () => {
    const config = { seed: 11, customers: 2_000, days: 60 };
    const first = digest(simulate(config), 50_000);
    expect(digest(simulate(config), 50_000)).toBe(first);
    expect(digest(simulate({ ...config, seed: 12 }), 50_000)).not.toBe(first);
    expect(digest(simulate({ ...config, fraudRate: 0.01 }), 50_000)).not.toBe(first);
  });

  it('keeps transactions unchanged when only label delays change', () => {
    const a = transactions(simulate({ seed: 3, customers: 300, days: 5 }));
    const b = transactions(simulate({ seed: 3, customers: 300, days: 5, labelDelay: { fraud: { medianDays: 1 } } }));
    expect(b).toEqual(a);
  });

  it('validates the configuration when called, not on first iteration', () => {
    expect(() => simulate({ customers: -1 })).toThrow(/customers must be a positive integer/);
  });

  it('yields non-decreasing times, one label per transaction, never before it', () => {
    const start = Date.UTC(2026, 0, 1);
    const days = 10;
    const seen = new Map<string, { time: number; customer: string; terminal: string; fraud: boolean }>();
    const labelled = new Set<string>();
    const problems: string[] = [];
    const check = (ok: boolean, problem: string) => {
      if (!ok && problems.length < 10) problems.push(problem);
    };
    let previous = Number.NEGATIVE_INFINITY;
    let lastTransaction = 0;
    let fraudDelay = 0;
    let fraudLabels = 0;
    let genuineDelay = 0;
    for (const event of simulate({ seed: 5, customers: 600, days })) {
      check(event.time >= previous, `time goes back from ${previous} to ${event.time}`);
      previous = event.time;
      if (event.kind === 'transaction') {
        const t = event.value;
        const id = t.event_id;
        check(event.time === t.event_time, `${id}: time is not event_time`);
        check(t.event_time >= start && t.event_time < start + days * DAY_MS, `${id}: outside the simulated days`);
        check(Number.isInteger(t.event_time), `${id}: event_time not an integer`);
        check(Number.isInteger(t.amount_minor) && t.amount_minor > 0, `${id}: amount ${t.amount_minor}`);
        check(UUID.test(id), `${id}: not UUID-shaped`);
        check(!seen.has(id), `${id}: duplicate event_id`);
        check(t.currency === 'EUR' && /^[A-Z]{2}$/.test(t.country), `${id}: currency or country`);
        check((t.device_hash === null) === (t.channel !== 'ECOM'), `${id}: device_hash on ${t.channel}`);
        check((t.ip_hash === null) === (t.channel !== 'ECOM'), `${id}: ip_hash on ${t.channel}`);
        seen.set(id, {
          time: t.event_time,
          customer: t.customer_id,
          terminal: t.terminal_id,
          fraud: event.scenario !== null,
        });
        lastTransaction = event.time;
      } else {
        const label = event.value;
        const id = label.transaction_id;
        check(event.time === label.label_time, `${id}: time is not label_time`);
        const tx = seen.get(id);
        if (tx === undefined) {
          check(false, `${id}: label before its transaction`);
          continue;
        }
        check(!labelled.has(id), `${id}: second label`);
        labelled.add(id);
        check(label.label_time > tx.time, `${id}: label_time not after event_time`);
        check(
          label.customer_id === tx.customer &&
            label.terminal_id === tx.terminal &&
            label.is_fraud === tx.fraud &&
            label.transaction_time === tx.time,
          `${id}: label does not match its transaction`,
        );
        if (label.is_fraud) {
          fraudDelay += label.label_time - tx.time;
          fraudLabels++;
        } else {
          genuineDelay += label.label_time - tx.time;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(seen.size).toBeGreaterThan(10_000);
    expect(labelled.size).toBe(seen.size);
    expect(previous).toBeGreaterThan(lastTransaction); // the stream ends with the flushed labels
    const fraudMeanDays = fraudDelay / fraudLabels / DAY_MS;
    const genuineMeanDays = genuineDelay / (seen.size - fraudLabels) / DAY_MS;
    expect(fraudMeanDays).toBeGreaterThan(2);
    expect(fraudMeanDays).toBeLessThan(7);
    expect(genuineMeanDays).toBeCloseTo(30, 0);
  });

  // Tolerances: the overall fraud rate within 5 % of the configured rate, each scenario's share of
  // the frauds within 0.03. The daily quotas (scenarios.ts) keep both much closer on these samples.
  it.each([
    [0.005, { large_amount: 0.2, compromised_terminal: 0.3, compromised_card: 0.3, velocity_burst: 0.2 }],
    [0.02, { large_amount: 0.1, compromised_terminal: 0.4, compromised_card: 0.5, velocity_burst: 0 }],
    [0.01, { large_amount: 0, compromised_terminal: 0, compromised_card: 0.25, velocity_burst: 0.75 }],
  ])('matches fraud rate %d and the scenario shares %j over 30 days of 2,000 customers', (fraudRate, shares) => {
    const config = { seed: 21, customers: 2_000, days: 30, fraudRate, scenarioShares: shares };
    const counts = Object.fromEntries(FRAUD_SCENARIOS.map((s) => [s, 0])) as Record<FraudScenario, number>;
    let total = 0;
    for (const event of simulate(config)) {
      if (event.kind !== 'transaction') continue;
      total++;
      if (event.scenario !== null && event.scenario !== 'card_testing') counts[event.scenario]++;
    }
    const fraud = FRAUD_SCENARIOS.reduce((sum, s) => sum + counts[s], 0);
    expect(total).toBeGreaterThan(100_000);
    expect(Math.abs(total / 30 / expectedTransactionsPerDay(config) - 1)).toBeLessThan(0.05);
    expect(Math.abs(fraud / total / fraudRate - 1)).toBeLessThan(0.05);
    for (const scenario of FRAUD_SCENARIOS) {
      expect(Math.abs(counts[scenario] / fraud - shares[scenario]), scenario).toBeLessThan(0.03);
    }
  });

  describe('fraud scenarios', () => {
    let cached: Tx[] | undefined;
    const all = () => {
      cached ??= transactions(simulate({ seed: 8, customers: 2_000, terminals: 2_000, days: 30, fraudRate: 0.02 }));
      return cached;
    };
    const of = (scenario: FraudScenario | null) => all().filter((t) => t.scenario === scenario);
    const threshold = 100_000;
    const mean = (list: Tx[]) => list.reduce((sum, t) => sum + t.amount_minor, 0) / list.length;
    const group = (list: Tx[], key: (t: Tx) => string) => {
      const groups = new Map<string, Tx[]>();
      for (const t of list) {
        const members = groups.get(key(t));
        if (members) members.push(t);
        else groups.set(key(t), [t]);
      }
      return groups;
    };

    it('large_amount: above the threshold, which genuine amounts never exceed', () => {
      expect(of('large_amount').length).toBeGreaterThan(100);
      for (const t of of('large_amount')) expect(t.amount_minor).toBeGreaterThan(threshold);
      expect(Math.max(...of(null).map((t) => t.amount_minor))).toBeLessThanOrEqual(threshold);
    });

    it('compromised_terminal: concentrated on few terminals, a large share of their traffic meanwhile', () => {
      const frauds = of('compromised_terminal');
      const byTerminal = group(frauds, (t) => t.terminal_id);
      expect(byTerminal.size).toBeLessThan(frauds.length / 3);
      const byTerminalAll = group(all(), (t) => t.terminal_id);
      let during = 0;
      for (const [terminal, list] of byTerminal) {
        const first = list[0]?.event_time ?? 0;
        const last = list[list.length - 1]?.event_time ?? 0;
        during += (byTerminalAll.get(terminal) ?? []).filter(
          (t) => t.event_time >= first && t.event_time <= last,
        ).length;
      }
      const share = frauds.length / during;
      expect(share).toBeGreaterThan(0.4); // configured 0.5 (first-to-last windows bias it up)
      expect(share).toBeLessThan(0.8);
    });

    it('compromised_card: a few cards, amounts several times their usual', () => {
      const frauds = of('compromised_card');
      const byCard = group(frauds, (t) => t.customer_id);
      expect(byCard.size).toBeLessThan(frauds.length / 3);
      const usual = group(of(null), (t) => t.customer_id);
      const ratios = [...byCard]
        .map(([card, list]) => mean(list) / mean(usual.get(card) ?? list))
        .sort((a, b) => a - b);
      const median = ratios[Math.floor(ratios.length / 2)] ?? 0;
      expect(median).toBeGreaterThan(3.5); // multiplier 5
      expect(median).toBeLessThan(7);
    });

    it('velocity_burst: runs of small transactions on one card, minutes apart', () => {
      const frauds = of('velocity_burst');
      expect(frauds.length).toBeGreaterThan(100);
      let inBurst = 0;
      for (const list of group(frauds, (t) => t.customer_id).values()) {
        list.forEach((t, i) => {
          const gaps = [list[i - 1], list[i + 1]].map((u) => (u ? Math.abs(u.event_time - t.event_time) : Infinity));
          if (Math.min(...gaps) <= 30 * 60_000) inBurst++;
        });
      }
      expect(inBurst / frauds.length).toBeGreaterThan(0.95);
      expect(mean(frauds)).toBeLessThan(mean(of(null)));
      for (const t of frauds) expect(t.amount_minor).toBeLessThanOrEqual(threshold);
    });
  });

  it('streams lazily: an endless run yields its first events at once', () => {
    const events = simulate({ seed: 1, customers: 1_000, days: Number.POSITIVE_INFINITY });
    let n = 0;
    for (const _ of events) if (++n === 1_000) break;
    expect(n).toBe(1_000);
  });
});
