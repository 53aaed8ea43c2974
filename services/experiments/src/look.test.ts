import type { ModelRegistry } from '@pipeline/scorer';
import type { ClickHouseClient } from '@pipeline/shared';
import { describe, expect, it } from 'vitest';
import { type Moments, momentsOf } from './analysis/ratio.js';
import type { ExperimentDefinition } from './experiment.js';
import { analyseLook, DAY, type LookSettings } from './look.js';
import { FRAUD, RECSYS } from './use-case.js';

const START = Date.UTC(2026, 0, 1);
const def: ExperimentDefinition = {
  name: 'trial',
  variants: [
    { name: 'control', share: 0.5, model: null },
    { name: 'challenger', share: 0.5, model: null },
  ],
};
/** 2,000 units of 10 shown/decided each, x alternating between `low` and `low + 1`. */
const arm = (low: number) => momentsOf(Array.from({ length: 2000 }, (_, i) => ({ x: low + (i % 2), y: 10 })));
const byVariant: Record<string, Moments> = { control: arm(0), challenger: arm(1) };

/** A ClickHouse answering each query of a look from the arms above; `baseline: false` has no traffic before the start. */
function clickhouse(queries: string[], baseline = true): ClickHouseClient {
  const answer = (q: string): Record<string, unknown>[] => {
    if (q.includes('count() AS units')) {
      const metrics = [...q.matchAll(/AS (\w+)_sx/g)].map((m) => m[1]);
      const variants = q.includes('experiment_variant IN') ? ['control', 'challenger'] : baseline ? ['control'] : [];
      return variants.map((v) => {
        const m = byVariant[v] as Moments;
        const row: Record<string, unknown> = { variant: v, units: String(m.units) };
        for (const n of metrics)
          Object.assign(row, {
            [`${n}_sx`]: m.x,
            [`${n}_sy`]: m.y,
            [`${n}_sxx`]: m.xx,
            [`${n}_syy`]: m.yy,
            [`${n}_sxy`]: m.xy,
          });
        return row;
      });
    }
    if (q.includes('LIMIT 1 BY variant'))
      return ['control', 'challenger'].map((v) => ({ variant: v, model: `${v}_m@1` }));
    if (q.includes('argMax(verdict')) return [];
    if (q.includes('count() AS n FROM decisions')) return [{ n: '4' }];
    if (q.includes('assumeNotNull(score)')) {
      return ['control', 'challenger'].flatMap((variant) =>
        [0.1, 0.4, 0.7, 0.9].map((score, i) => ({
          variant,
          score,
          action: score > 0.5 ? 'DECLINE' : 'APPROVE',
          amount_minor: '100',
          is_fraud: i % 2,
        })),
      );
    }
    throw new Error(`unexpected query: ${q}`);
  };
  return {
    query: async ({ query }: { query: string }) => {
      queries.push(query);
      const rows = answer(query);
      return { json: async () => rows };
    },
  } as unknown as ClickHouseClient;
}

const registry = { aliases: async () => ({ champion: 'control_m@1' }) } as unknown as ModelRegistry;
const settings: LookSettings = {
  control: 'control',
  alpha: 0.05,
  power: 0.8,
  days: 14,
  baselineDays: 7,
  powerSims: 50,
  minUnits: 100,
  margins: {},
  championLimits: {},
  promotion: 'RECOMMEND',
  rollback: 'RECOMMEND',
  by: 'experiments-test',
  maxRows: 100,
};
const asOf = START + 10 * DAY;

describe('a look', () => {
  it('at a ranking experiment judges CTR, shows NDCG@10, and only recommends', async () => {
    const queries: string[] = [];
    const t = { start: START, end: START + 14 * DAY, lag: 0 };
    const { results, decisions } = await analyseLook(clickhouse(queries), registry, RECSYS, def, t, asOf, settings, 1);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      decision_id: `trial/challenger/${new Date(asOf).toISOString()}`,
      verdict: 'CHALLENGER_WINS',
      mode: 'RECOMMEND',
      action_status: 'RECOMMENDED',
      action_detail: 'promote variant challenger',
      variant_model: 'challenger_m@1',
      control_model: 'control_m@1',
      emitted_at: 1,
    });
    expect(decisions[0]?.figures.map((f) => f.metric)).toEqual(['ctr', 'ndcg_at_10']);
    expect(results.map((r) => [r.variant, r.metric, r.kind])).toEqual([
      ['challenger', 'ctr', 'PRIMARY'],
      ['control', 'ctr', 'PRIMARY'],
      ['challenger', 'ndcg_at_10', 'INFO'],
      ['control', 'ndcg_at_10', 'INFO'],
    ]);
    expect(results[0]?.difference).toBeCloseTo(0.1);
    expect(results[1]?.difference).toBeNaN();
    expect(new Set(results.map((r) => r.window.to))).toEqual(new Set([asOf]));
    // Baseline and look: one moments query each (no labelled metrics), then the models and the last looks.
    expect(queries).toHaveLength(4);
    expect(queries[2]).toContain('recsys_recommendations');
    expect(queries.some((q) => q.includes('FROM decisions FINAL'))).toBe(false);
  });

  it('at a fraud experiment reads the labelled figures after the lag, applies the policy and adds the label-free estimates', async () => {
    const queries: string[] = [];
    const t = { start: START, end: START + 14 * DAY, lag: 3 * DAY };
    const { results, decisions } = await analyseLook(clickhouse(queries), registry, FRAUD, def, t, asOf, settings, 1);
    expect(decisions[0]).toMatchObject({
      verdict: 'CHALLENGER_WINS',
      mode: 'RECOMMEND',
      action_status: 'RECOMMENDED',
      action_detail: 'promote challenger_m@1 to champion (replacing control_m@1)',
    });
    expect(decisions[0]?.figures.map((f) => f.metric)).not.toContain('fraud_money_recall');
    const primary = results.find((r) => r.variant === 'challenger' && r.metric === 'fraud_caught_per_txn');
    const decline = results.find((r) => r.variant === 'challenger' && r.metric === 'decline_rate');
    expect(primary?.window).toEqual({ from: START, to: asOf - 3 * DAY });
    expect(decline?.window).toEqual({ from: START, to: asOf });
    const estimates = results.filter((r) => r.kind === 'ESTIMATE').map((r) => r.metric);
    expect(estimates).toContain('cbpe_precision');
    expect(estimates).toContain('cbpe_check_auc');
    // Baseline and look: operational and labelled moments each, the models, the last looks, two reads of scores (a count and the rows each).
    expect(queries).toHaveLength(10);
  });

  it('with no traffic before the start says there is no baseline to plan from', async () => {
    const t = { start: START, end: START + 14 * DAY, lag: 0 };
    const { decisions } = await analyseLook(clickhouse([], false), registry, RECSYS, def, t, asOf, settings, 1);
    expect(decisions[0]?.reasons).toContain(
      'no baseline to plan from: no recommendations in the 7 days before the start (set EXPERIMENTS_START)',
    );
  });
});
