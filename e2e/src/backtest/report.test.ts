import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { createTally } from '../vectors/compare.js';
import { compareDecisions, type DecisionSummary } from './compare.js';
import { type BacktestResult, consistent, headline, renderReport } from './report.js';

const n = fraudFeatureSet.names.length;
const d = (action: DecisionSummary['action'], reasons: string[]): DecisionSummary => ({
  action,
  reasons,
  score: 0.5,
  path: 'MODEL_AND_RULES',
});

function result(differing: boolean): BacktestResult {
  const complete = createTally(fraudFeatureSet, { examples: 3 });
  const all = createTally(fraudFeatureSet, { examples: 3 });
  const v = new Array<number>(n).fill(1);
  for (const t of [complete, all]) t.add('e1', v, v);
  const w = [...v];
  w[0] = 2;
  if (differing) complete.add('e2', w, v);
  all.add('e2', w, v);
  return {
    date: '2026-12-03',
    run: 'backtest-x',
    command: 'npm run backtest -- --from 2026-01-01 --to 2026-01-02',
    database: 'prod',
    range: {
      fromMs: Date.UTC(2026, 0, 1),
      toMs: Date.UTC(2026, 0, 2),
      warmupStartMs: 0,
      reachMs: 38 * 86_400_000,
      historyStartMs: 0,
    },
    sources: {
      mode: 'auto',
      topics: { transactions: 'transactions', labels: 'labels' },
      transactions: { kafka: 3, clickhouse: 7, both: 1 },
      labels: { kafka: 2, clickhouse: 4, both: 0 },
      kafkaFromMs: { transactions: Date.UTC(2025, 11, 20), labels: null },
      refused: 1,
      undecodable: 0,
    },
    candidate: { rulesFile: 'r.yaml', rulesVersion: 'v2', model: 'fraud_gbdt@2' },
    production: { ruleSetVersions: ['v1'], models: ['fraud_gbdt@2'] },
    replayed: { transactions: 2, labels: 0, secondsOnly: 0, deadLetters: {}, seconds: 1 },
    decisions: compareDecisions([
      {
        eventId: 'e1',
        amountMinor: 100,
        fraud: true,
        production: d('APPROVE', []),
        candidate: d('DECLINE', ['RULE:big']),
      },
      { eventId: 'e2', amountMinor: 50, fraud: null, production: d('APPROVE', []), candidate: d('APPROVE', []) },
    ]),
    consistency: { complete: complete.result(), all: all.result() },
    chart: 'backtest.png',
    wallSeconds: 3,
    peakRssMb: 200,
  };
}

describe('the backtest report', () => {
  it('ends its figures with the events, the identical-vector share and the candidate against production', () => {
    const h = headline(result(false));
    expect(h).toMatchObject({
      backtest: 'backtest-x',
      events: 2,
      identical_decisions: 1,
      complete_input_events: 1,
      identical_vectors_share: 1,
      identical_vectors_share_all: 0.5,
      consistent: true,
      rule_hit_changes: { big: 1 },
      sources: { transactions_kafka: 3, transactions_clickhouse: 7, labels_kafka: 2, labels_clickhouse: 4 },
    });
    expect(h.production.fraud_caught).toBe(0);
    expect(h.candidate.fraud_caught).toBe(1);
    expect(h.candidate.money_at_risk_minor).toBe(0);
    expect(h.production.money_at_risk_minor).toBe(100);
  });

  it('fails the consistency check on a differing vector whose inputs were all replayed', () => {
    expect(consistent(result(false))).toBe(true);
    expect(consistent(result(true))).toBe(false);
    expect(renderReport(result(true))).toContain('**Not consistent**');
  });

  it('says there was nothing to check when no event had all its inputs, and passes with a null share', () => {
    const none = { ...result(false) };
    none.consistency = { ...none.consistency, complete: createTally(fraudFeatureSet, { examples: 3 }).result() };
    expect(consistent(none)).toBe(true);
    expect(headline(none).identical_vectors_share).toBeNull();
    expect(renderReport(none)).toContain('**Nothing to check**');
  });

  it('shows the chart, the figures, the flips, the rule hits and the JSON', () => {
    const text = renderReport(result(false));
    expect(text).toContain('![candidate against production](backtest.png)');
    expect(text).toContain('| decline rate | 0.00 % | 50.00 % | +50.00 pp |');
    expect(text).toContain('| money at risk (labelled frauds approved) | 1.00 | 0.00 | -1.00 |');
    expect(text).toContain('| APPROVE | DECLINE | 1 |');
    expect(text).toContain('| big | 0 | 1 | +1 | 1 | 0 |');
    expect(text).toContain('customer_amount_count_1h 1');
    expect(text).toContain(JSON.stringify(headline(result(false))));
  });

  it('says how many events came from each source, and where Kafka took over', () => {
    const text = renderReport(result(false));
    expect(text).toContain('**Sources** (`--source auto`)');
    expect(text).toContain(
      'transactions 3 from Kafka (`transactions`, from 2025-12-20T00:00:00.000Z) and 7 from ClickHouse, 1 held by both',
    );
    expect(text).toContain('labels 2 from Kafka (`labels`, not used) and 4 from ClickHouse');
    expect(text).toContain('1 refused live by the feature service');
  });
});
