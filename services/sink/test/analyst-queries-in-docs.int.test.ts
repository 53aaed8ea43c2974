import type { Decision, Label } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedQueries, type Events, eventually, type Harness, harness, simulatedEvents } from './fixtures.js';

const DAY = 86_400_000;

const ACTIONS = ['APPROVE', 'REVIEW', 'DECLINE', 'STEP_UP'];
const THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** Newest label per transaction among `labels`. */
function latest(labels: readonly Label[]): Map<string, Label> {
  const out = new Map<string, Label>();
  for (const l of labels) {
    const seen = out.get(l.transaction_id);
    if (!seen || seen.label_time < l.label_time) out.set(l.transaction_id, l);
  }
  return out;
}

describe('the example queries in docs/analytics.md', () => {
  let h: Harness;
  let events: Events;
  const start = Date.UTC(2026, 9, 1); // the docs' example dates are in this range
  const cutoff = Date.UTC(2026, 9, 20); // the training-set query's cut-off literal
  const queries = documentedQueries();

  beforeAll(async () => {
    h = await harness();
    events = simulatedEvents({ seed: 47, customers: 150, days: 2, startTime: start, labelsUntil: start + 40 * DAY });
    // Corrected labels: one known before the cut-off (it wins there), one after (it must not count there).
    const fraudLabels = events.labels.filter((l) => l.is_fraud && l.label_time < start + 14 * DAY);
    const [early, late] = fraudLabels;
    if (!early || !late) throw new Error('the simulation gave too few early fraud labels');
    events.labels.push({ ...early, is_fraud: false, label_time: start + 15 * DAY });
    events.labels.push({ ...late, is_fraud: false, label_time: start + 25 * DAY });
    await h.publish(events);
    await h.startSink();
    await eventually(
      async () => [
        await h.count('decisions'),
        await h.count('scores'),
        await h.count('labels'),
        await h.count('transactions_enriched'),
      ],
      [events.decisions.length, events.scores.length, events.labels.length, events.enriched.length],
    );
  });
  afterAll(() => h.close());

  async function run(name: string): Promise<Record<string, unknown>[]> {
    const query = queries.get(name);
    if (!query) throw new Error(`docs/analytics.md has no query '${name}'`);
    const result = await h.clickhouse.query({ query, format: 'JSONEachRow' });
    return result.json<Record<string, unknown>>();
  }

  it('documents the five queries this test checks, and the recommendations one', () => {
    expect([...queries.keys()]).toEqual([
      'decision-mix',
      'fraud-by-model-variant',
      'confusion',
      'training-set',
      'declines',
      // checked on recommendation data by recsys-lands-once-with-quality-views.int.test.ts
      'recsys-quality',
    ]);
  });

  it('decision-mix: decisions per day and action', async () => {
    const counts = new Map<string, number>();
    for (const d of events.decisions) {
      const key = `${day(d.event_time)}|${d.action}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const want = [...counts]
      .map(([key, decisions]) => {
        const [d, action] = key.split('|') as [string, string];
        return { day: d, action, decisions: String(decisions) };
      })
      .sort((a, b) =>
        a.day === b.day ? ACTIONS.indexOf(a.action) - ACTIONS.indexOf(b.action) : a.day < b.day ? -1 : 1,
      );
    expect(await run('decision-mix')).toEqual(want);
  });

  it('fraud-by-model-variant: fraud rate and amount at risk per model version and variant', async () => {
    const labels = latest(events.labels);
    const amount = new Map(events.enriched.map((e) => [e.transaction.event_id, e.transaction.amount_minor]));
    const groups = new Map<
      string,
      { decisions: number; labelled: number; frauds: number; atRisk: number; d: Decision }
    >();
    for (const d of events.decisions) {
      const key = `${d.model_version}|${d.experiment_variant}`;
      const g = groups.get(key) ?? { decisions: 0, labelled: 0, frauds: 0, atRisk: 0, d };
      const label = labels.get(d.event_id);
      g.decisions++;
      if (label) g.labelled++;
      if (label?.is_fraud) g.frauds++;
      if (label?.is_fraud && d.action === 'APPROVE') g.atRisk += amount.get(d.event_id) ?? 0;
      groups.set(key, g);
    }
    const want = [...groups.values()]
      .sort((a, b) => {
        // NULL model versions (rules only) sort last, as ClickHouse does.
        const va = a.d.model_version ?? '\uffff';
        const vb = b.d.model_version ?? '\uffff';
        return va === vb ? byKey<Decision>((d) => d.experiment_variant)(a.d, b.d) : va < vb ? -1 : 1;
      })
      .map((g) => ({
        model_version: g.d.model_version,
        experiment_variant: g.d.experiment_variant,
        n_decisions: String(g.decisions),
        n_labelled: String(g.labelled),
        n_frauds: String(g.frauds),
        fraud_rate: round(g.frauds / g.labelled, 4),
        amount_at_risk_eur: g.atRisk / 100,
      }));
    const got = await run('fraud-by-model-variant');
    expect(got.map(({ fraud_rate, amount_at_risk_eur, ...rest }) => rest)).toEqual(
      want.map(({ fraud_rate, amount_at_risk_eur, ...rest }) => rest),
    );
    got.forEach((row, i) => {
      expect(row.fraud_rate).toBeCloseTo(want[i]?.fraud_rate as number, 4);
      expect(row.amount_at_risk_eur).toBeCloseTo(want[i]?.amount_at_risk_eur as number, 2);
    });
    expect(want.some((w) => w.n_frauds !== '0' && w.amount_at_risk_eur > 0)).toBe(true);
  });

  it('confusion: tp, fp, tn, fn per model and threshold over labelled transactions', async () => {
    const labels = latest(events.labels);
    const want: Record<string, unknown>[] = [];
    for (const version of [...new Set(events.scores.map((s) => s.model_version))].sort()) {
      const scored = events.scores.filter((s) => s.model_version === version && labels.has(s.event_id));
      for (const threshold of THRESHOLDS) {
        const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
        for (const s of scored) {
          const fraud = labels.get(s.event_id)?.is_fraud;
          if (s.score >= threshold) fraud ? c.tp++ : c.fp++;
          else fraud ? c.fn++ : c.tn++;
        }
        want.push({
          model_version: version,
          shadow: scored[0]?.shadow ? 1 : 0,
          threshold,
          tp: String(c.tp),
          fp: String(c.fp),
          tn: String(c.tn),
          fn: String(c.fn),
          precision: c.tp + c.fp === 0 ? null : round(c.tp / (c.tp + c.fp), 3),
          recall: c.tp + c.fn === 0 ? null : round(c.tp / (c.tp + c.fn), 3),
        });
      }
    }
    const got = await run('confusion');
    expect(got.map(({ precision, recall, ...rest }) => rest)).toEqual(
      want.map(({ precision, recall, ...rest }) => rest),
    );
    got.forEach((row, i) => {
      for (const key of ['precision', 'recall']) {
        const w = want[i]?.[key] as number | null;
        if (w === null) expect(row[key]).toBeNull();
        else expect(row[key]).toBeCloseTo(w, 3);
      }
    });
    expect(want.some((w) => w.tp !== '0') && want.some((w) => w.fp !== '0')).toBe(true);
  });

  it('training-set: served features with the newest label known at the cut-off', async () => {
    // label_time is stored in whole seconds: a label counts when its second is not after the cut-off.
    const known = latest(events.labels.filter((l) => Math.floor(l.label_time / 1000) * 1000 <= cutoff));
    const want = events.enriched
      .filter((e) => known.has(e.transaction.event_id))
      .sort(byKey((e) => e.transaction.event_id))
      .map((e) => ({
        event_id: e.transaction.event_id,
        feature_set: e.features.feature_set,
        feature_set_version: e.features.version,
        // JSON has no NaN: ClickHouse prints null.
        feature_values: e.features.values.map((v) => (Number.isNaN(v) ? null : v)),
        is_fraud: known.get(e.transaction.event_id)?.is_fraud ? 1 : 0,
      }));
    const got = await run('training-set');
    expect(got).toEqual(want);
    // Both kinds of label are there, and neither correction leaked past the cut-off.
    expect(new Set(got.map((r) => r.is_fraud))).toEqual(new Set([0, 1]));
    expect(got.length).toBeLessThan(latest(events.labels).size);
  });

  it('declines: the declined decisions of a day, with their reasons', async () => {
    const want = events.decisions
      .filter((d) => d.action === 'DECLINE' && day(d.event_time) === '2026-10-01')
      .sort(byKey((d) => d.event_id))
      .map((d) => ({
        event_id: d.event_id,
        reason_codes: d.reason_codes,
        model_version: d.model_version,
        rule_set_version: d.rule_set_version,
        experiment_variant: d.experiment_variant,
      }));
    expect(want.length).toBeGreaterThan(0);
    expect(await run('declines')).toEqual(want);
  });
});
