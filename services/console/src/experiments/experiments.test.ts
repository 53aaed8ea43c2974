import type { ClickHouseClient } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { RequestError, UnavailableError } from '../errors.js';
import { figuresSql, looksSql, standingsSql } from './queries.js';
import { experimentView, type FigureRow, finite, type StandingRow, standings } from './shape.js';
import { createExperimentsStore } from './store.js';

const standingRow = (variant: string, asOf: number, verdict: string): StandingRow => ({
  experiment: 'gbdt_v3',
  variant,
  control: 'control',
  newest: asOf,
  looks: '3',
  verdict,
  recommendation: verdict === 'CHALLENGER_WINS' ? 'PROMOTE' : 'CONTINUE',
  mode: 'RECOMMEND',
  action_status: verdict === 'CHALLENGER_WINS' ? 'RECOMMENDED' : 'NONE',
  action_detail: '',
  control_model: 'fraud_gbdt@2',
  variant_model: 'fraud_gbdt@3',
  min_p_value: 'nan',
  reasons: [],
});

const fig = (
  variant: string,
  asOf: number,
  metric: string,
  kind: string,
  difference: number | string,
  breached = 0,
): FigureRow => ({
  variant,
  as_of: asOf,
  metric,
  kind,
  units: '120',
  n: 1000,
  value: 2,
  control_value: 1,
  difference,
  ci_low: -0.5,
  ci_high: 2.5,
  cs_low: 'nan',
  cs_high: 'inf',
  p_value: 0.2,
  mde: 0.8,
  realized: null,
  breached,
});

describe('the experiments page', () => {
  it('reads the newest look per experiment and challenger, and one experiment’s looks and figures, escaped', () => {
    expect(standingsSql()).toContain('FROM experiment_decisions FINAL');
    expect(standingsSql()).toContain('argMax(verdict, as_of)');
    expect(looksSql("x'y")).toContain("WHERE experiment = 'x\\'y'");
    expect(figuresSql('e')).toContain('FROM experiment_results FINAL');
    expect(figuresSql('e')).toMatch(/LIMIT \d+$/);
  });

  it('turns NaN and infinities into null', () => {
    expect([finite('nan'), finite('inf'), finite(null), finite('0.25'), finite(3)]).toEqual([
      null,
      null,
      null,
      0.25,
      3,
    ]);
  });

  it('gives each challenger its newest figures, primary first, and a timeline per judged metric without the control’s rows', () => {
    const all = standings([standingRow('strict', 200, 'CHALLENGER_WINS')]);
    const rows = [
      fig('strict', 100, 'fraud_caught_per_txn', 'PRIMARY', 0.4),
      fig('strict', 100, 'decline_rate', 'GUARDRAIL', 0.01),
      fig('control', 100, 'fraud_caught_per_txn', 'PRIMARY', 'nan'),
      fig('strict', 200, 'fraud_money_recall', 'INFO', 0.1),
      fig('strict', 200, 'decline_rate', 'GUARDRAIL', 0.02, 1),
      fig('strict', 200, 'fraud_caught_per_txn', 'PRIMARY', 0.6),
    ];
    const view = experimentView('gbdt_v3', all, rows, []);
    expect(view.latest).toHaveLength(1);
    expect(view.latest[0]?.asOf).toBe(200);
    expect(view.latest[0]?.figures.map((f) => [f.metric, f.kind, f.difference, f.breached])).toEqual([
      ['fraud_caught_per_txn', 'PRIMARY', 0.6, false],
      ['decline_rate', 'GUARDRAIL', 0.02, true],
      ['fraud_money_recall', 'INFO', 0.1, false],
    ]);
    expect(view.latest[0]?.figures[0]?.cs).toEqual([null, null]);
    expect(view.timelines.map((t) => [t.variant, t.metric, t.times, t.difference, t.breached])).toEqual([
      ['strict', 'fraud_caught_per_txn', [100, 200], [0.4, 0.6], [false, false]],
      ['strict', 'decline_rate', [100, 200], [0.01, 0.02], [false, true]],
    ]);
  });

  it('chooses the experiment with the newest look, says 404 for an unknown one and 503 when ClickHouse does not answer', async () => {
    const queries: string[] = [];
    const client = {
      query: async ({ query }: { query: string }) => {
        queries.push(query);
        const rows = query.includes('GROUP BY experiment, variant')
          ? [standingRow('strict', 200, 'CONTINUE')]
          : query.includes('experiment_results')
            ? [fig('strict', 200, 'fraud_caught_per_txn', 'PRIMARY', 0.1)]
            : [];
        return { json: async () => rows };
      },
    } as unknown as ClickHouseClient;
    const store = createExperimentsStore(client);
    expect((await store.read(null)).selected?.experiment).toBe('gbdt_v3');
    await expect(store.read('nope')).rejects.toBeInstanceOf(RequestError);
    await expect(store.read('nope')).rejects.toThrow('no experiment nope has a look recorded');
    const down = createExperimentsStore({
      query: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    } as unknown as ClickHouseClient);
    await expect(down.read(null)).rejects.toBeInstanceOf(UnavailableError);
    const none = createExperimentsStore({
      query: async () => ({ json: async () => [] }),
    } as unknown as ClickHouseClient);
    expect(await none.read(null)).toEqual({ standings: [], selected: null });
  });
});
