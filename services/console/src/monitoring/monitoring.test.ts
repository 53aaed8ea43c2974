import { describe, expect, it } from 'vitest';
import {
  alertsSql,
  driftSeriesSql,
  latestFiguresSql,
  performanceSql,
  qualitySeriesSql,
  retrainingsSql,
  runsSql,
  seriesSql,
} from './queries.js';
import {
  alertViews,
  chooseSeries,
  performanceLines,
  qualityLines,
  retrainingViews,
  runSummary,
  seriesChoices,
  subjectFigures,
  timelines,
  value,
} from './shape.js';

const range = { from: 100, to: 200 };
const series = { model: 'fraud_gbdt', version: '2', variant: "con'trol" };

describe('the monitoring queries', () => {
  it('bound every read by window end (the partition key) and a LIMIT', () => {
    for (const q of [
      runsSql(range),
      seriesSql(range),
      latestFiguresSql(range, series),
      driftSeriesSql(range, series, ['score']),
      performanceSql(range),
      qualitySeriesSql(range),
      alertsSql(range),
    ]) {
      expect(q).toContain('window_end >= toDateTime(100) AND window_end < toDateTime(200)');
      expect(q).toMatch(/LIMIT \d+$/);
    }
    expect(retrainingsSql(range)).toContain('cutoff >= toDateTime(100) AND cutoff < toDateTime(200)');
  });

  it('narrow one series by the sorting key’s leading columns, its values escaped', () => {
    const q = driftSeriesSql(range, series, ['score', "f'1"]);
    expect(q).toContain("model_name = 'fraud_gbdt' AND model_version = '2' AND variant = 'con\\'trol'");
    expect(q).toContain("subject IN ('score', 'f\\'1')");
    expect(q).toContain("kind = 'DRIFT'");
    expect(q).toContain('FINAL');
  });

  it('read the performance metrics the monitor writes, card precision at any k', () => {
    expect(performanceSql(range)).toContain(
      "metric IN ('roc_auc', 'average_precision') OR metric LIKE 'card_precision_at_%'",
    );
  });
});

describe('the monitoring page’s data', () => {
  it('reads NaN, infinities and strings', () => {
    expect([value(null), value('nan'), value('12'), value(0.5), value(Number.POSITIVE_INFINITY)]).toEqual([
      null,
      null,
      12,
      0.5,
      null,
    ]);
  });

  it('chooses the series asked for, else the newest', () => {
    const choices = seriesChoices([
      { model_name: 'm', model_version: '2', variant: 'a', t: '20', n: '5' },
      { model_name: 'm', model_version: '3', variant: 'b', t: 10, n: 5 },
    ]);
    expect(choices.map((c) => c.name)).toEqual(['m@2 a', 'm@3 b']);
    expect(chooseSeries(choices, 'm@3 b')?.version).toBe('3');
    expect(chooseSeries(choices, 'nope')?.version).toBe('2');
    expect(chooseSeries([], null)).toBeNull();
  });

  it('puts the score first, then features by their newest PSI, with their quality', () => {
    const row = (kind: string, subject: string, metric: string, latest: number, breached = 0) => ({
      kind,
      subject,
      metric,
      latest,
      latest_breached: breached,
      latest_threshold: 0.25,
      latest_n: '800',
      max_value: latest + 0.1,
      t: 1,
    });
    const s = subjectFigures([
      row('DRIFT', 'a', 'psi', 0.1),
      row('DRIFT', 'b', 'psi', 0.3, 1),
      row('DRIFT', 'score', 'psi', 0.01),
      row('DRIFT', 'b', 'ks', 0.05),
      row('QUALITY', 'a', 'null_share', 0.2, 1),
      row('QUALITY', '', 'volume_ratio', 1),
    ]);
    expect(s.map((x) => x.subject)).toEqual(['score', 'b', 'a']);
    expect(s[1]).toMatchObject({
      psi: 0.3,
      ks: 0.05,
      psiMax: 0.4,
      driftBreached: true,
      n: 800,
      qualityBreached: false,
    });
    expect(s[2]).toMatchObject({ nullShare: 0.2, qualityBreached: true, driftBreached: false });
  });

  it('orders timelines by time and names performance lines by series and metric', () => {
    const point = (t: number, metric: string, v: number, version = '2') => ({
      t,
      model_name: 'm',
      model_version: version,
      variant: 'c',
      metric,
      value: v,
      breached: 0,
    });
    const lines = timelines([point(3, 'x', 3), point(1, 'x', 1), point(2, 'x', 2)], (r) => r.metric);
    expect(lines[0]).toMatchObject({ times: [1, 2, 3], values: [1, 2, 3] });
    const perf = performanceLines([
      point(1, 'card_precision_at_50', 0.2),
      point(1, 'average_precision', 0.5),
      point(1, 'roc_auc', 0.9, '3'),
    ]);
    expect(perf.metrics).toEqual(['roc_auc', 'average_precision', 'card_precision_at_50']);
    expect(perf.lines.find((l) => l.metric === 'roc_auc')).toMatchObject({ series: 'm@3 c', name: 'm@3 c' });
    expect(
      qualityLines([{ ...point(1, 'dead_letter_share', 0.01), model_name: '' }, point(1, 'volume_ratio', 1)]).map(
        (l) => l.name,
      ),
    ).toEqual(['dead-letter share', 'volume ratio m@2 c']);
  });

  it('links an alert’s trigger to the retraining it ran, with its evidence', () => {
    const retrainings = retrainingViews([
      {
        trigger_id: 't1',
        model_name: 'm',
        champion_version: '2',
        reasons: [],
        cutoff: 1,
        train_rows: '10',
        train_frauds: '1',
        eval_rows: '5',
        eval_frauds: '1',
        metric: 'average_precision',
        margin: 0,
        candidate_roc_auc: 0.9,
        candidate_average_precision: 0.8,
        champion_roc_auc: null,
        champion_average_precision: 0.3,
        decision: 'REGISTERED_SHADOW',
        candidate_version: '3',
        error: '',
        duration_ms: 1500,
        finished_at_ms: '1000',
      },
    ]);
    expect(retrainings[0]).toMatchObject({ trainRows: 10, champion: { rocAuc: null, averagePrecision: 0.3 } });
    const alert = (id: string, trigger: string, model = 'm') => ({
      alert_id: id,
      episode_id: 'e',
      status: 'OPEN',
      kind: 'DRIFT',
      model_name: model,
      model_version: model ? '2' : '',
      variant: model ? 'c' : '',
      window_start: 0,
      window_end: 1,
      reasons: ['r'],
      evidence_subjects: ['score'],
      evidence_metrics: ['psi'],
      evidence_values: [0.3],
      trigger_id: trigger,
      emitted_at_ms: '5',
    });
    const views = alertViews([alert('a1', 't1'), alert('a2', '', '')], retrainings);
    expect(views[0]).toMatchObject({
      series: 'm@2 c',
      evidence: [{ subject: 'score', metric: 'psi', value: 0.3 }],
      retraining: { decision: 'REGISTERED_SHADOW', candidateVersion: '3' },
    });
    expect(views[1]).toMatchObject({ series: 'pipeline', retraining: null });
  });

  it('sums the runs and keeps the newest ten', () => {
    const runs = Array.from({ length: 12 }, (_, i) => ({
      t: 100 - i,
      rows: '10',
      figures: 5,
      breaches: i === 0 ? 2 : 0,
      alerts: 1,
      triggers: 0,
      duration_ms: 12.5,
    }));
    const s = runSummary(runs);
    expect(s).toMatchObject({ count: 12, newest: 100, breaches: 2, alerts: 12, triggers: 0 });
    expect(s.last).toHaveLength(10);
    expect(s.last[0]).toEqual({ t: 100, rows: 10, figures: 5, breaches: 2, durationMs: 12.5 });
  });
});
