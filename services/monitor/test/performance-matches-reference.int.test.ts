import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPrincipals } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistryDir, loadRetrainConfig } from '../src/config.js';
import { averagePrecision, cardPrecisionAtK, confusionAt, rocAuc } from '../src/stats.js';
import * as store from '../src/store.js';
import { CHAMPION, championModel, type Harness, harness, insertTraffic, removeDir, tempRegistry } from './harness.js';
import { DAY, START, score, type Traffic, traffic } from './traffic.js';

const FROM = START + 10 * DAY;
const TO = START + 18 * DAY;
const AS_OF = START + 22 * DAY;
const THRESHOLD = 0.3;
const K = 20;

/** scikit-learn's ROC AUC and average precision on the given pairs, from the trainer's venv. */
function sklearn(scores: number[], labels: number[]): { roc_auc: number; average_precision: number } {
  const python = loadRetrainConfig({
    HTTP_AUTH_TOKENS: testPrincipals().env,
    KAFKA_BROKERS: 'x:1',
    SCHEMA_REGISTRY_URL: 'http://x',
    CLICKHOUSE_URL: 'http://x',
  }).RETRAIN_PYTHON;
  if (!existsSync(python))
    throw new Error(`${python} is missing: run npm test (it builds the trainer's venv on first use)`);
  const out = execFileSync(
    python,
    [
      '-c',
      'import json,sys\nfrom sklearn.metrics import roc_auc_score, average_precision_score\n' +
        'd=json.load(sys.stdin)\nprint(json.dumps({"roc_auc":roc_auc_score(d["y"],d["p"]),"average_precision":average_precision_score(d["y"],d["p"])}))',
    ],
    { input: JSON.stringify({ y: labels, p: scores }) },
  );
  return JSON.parse(out.toString());
}

describe('performance figures', () => {
  let h: Harness;
  let registry: string;
  let t: Traffic;
  let scores: number[];

  beforeAll(async () => {
    h = await harness();
    registry = tempRegistry();
    t = traffic(
      {
        seed: 47,
        customers: 300,
        terminals: 1_200,
        days: 20,
        fraudRate: 0.05,
        customerProfile: { txPerDay: { min: 0.5, max: 1.5 } },
        labelDelay: { fraud: { medianDays: 1, sigma: 0.3 }, genuine: { meanDays: 3, sdDays: 0.5 } },
      },
      8,
      AS_OF,
    );
    scores = await score(championModel(defaultRegistryDir), t.rows);
    // Two experiment variants, by customer: figures are per variant.
    const split = (variant: string) => {
      const keep = t.rows.map(
        (r) => (Number.parseInt(r.tx.customer_id.slice(-1), 16) % 2 === 0) === (variant === 'control'),
      );
      return {
        traffic: { rows: t.rows.filter((_, i) => keep[i]), labels: variant === 'control' ? t.labels : [] },
        scores: scores.filter((_, i) => keep[i]),
      };
    };
    for (const variant of ['control', 'treatment']) {
      const part = split(variant);
      await insertTraffic(h.clickhouse, part.traffic, part.scores, { variant });
    }
  });

  afterAll(async () => {
    await h?.close();
    removeDir(registry);
  });

  it('computed in ClickHouse equal the TypeScript functions and scikit-learn on the same rows, per variant', async () => {
    const counts = await store.performanceCounts(h.clickhouse, CHAMPION, FROM, TO, AS_OF, THRESHOLD, K);
    const pairs = await store.labelledScores(h.clickhouse, CHAMPION, FROM, TO, AS_OF);
    expect([...counts.keys()].sort()).toEqual(['control', 'treatment']);

    // The same rows, selected here from the simulated traffic: labelled by AS_OF, event time in the window.
    const labels = new Map(
      t.labels.filter((l) => l.label_time <= AS_OF && l.label_time >= FROM).map((l) => [l.transaction_id, l]),
    );
    for (const variant of ['control', 'treatment']) {
      const rows = t.rows
        .map((r, i) => ({ r, p: scores[i] as number }))
        .filter(({ r }) => r.tx.event_time >= FROM && r.tx.event_time < TO && labels.has(r.tx.event_id))
        .filter(({ r }) => (Number.parseInt(r.tx.customer_id.slice(-1), 16) % 2 === 0) === (variant === 'control'));
      const y = rows.map(({ r }) => (labels.get(r.tx.event_id)?.is_fraud ? 1 : 0) as 0 | 1);
      const p = rows.map(({ p }) => p);
      const c = counts.get(variant);
      const expected = confusionAt(p, y, THRESHOLD);
      expect(c).toMatchObject({
        labelled: rows.length,
        frauds: y.filter(Boolean).length,
        tp: expected.tp,
        fp: expected.fp,
        fn: expected.fn,
      });
      const cards = cardPrecisionAtK(
        rows.map(({ r, p }, i) => ({
          day: new Date(r.tx.event_time).toISOString().slice(0, 10),
          card: r.tx.customer_id,
          score: p,
          isFraud: y[i] === 1,
        })),
        K,
      );
      expect(c?.cardPrecision).toBeCloseTo(cards, 12);
      expect(cards).toBeGreaterThan(0);

      // ROC AUC and AP: TypeScript on the pairs ClickHouse returned, against scikit-learn on the same pairs.
      const got = pairs.get(variant) ?? { scores: [], labels: [] };
      expect(got.scores.length).toBe(rows.length);
      const reference = sklearn(got.scores, got.labels);
      expect(rocAuc(got.scores, got.labels)).toBeCloseTo(reference.roc_auc, 12);
      expect(averagePrecision(got.scores, got.labels)).toBeCloseTo(reference.average_precision, 12);
      expect(rocAuc(p, y)).toBeCloseTo(reference.roc_auc, 6); // float32 scores through ClickHouse's Float64
    }
  });

  it('are what the monitor writes to monitor_metrics', async () => {
    const thresholds = join(registry, 'thresholds.yaml');
    writeFileSync(
      thresholds,
      `performance:\n  threshold: ${THRESHOLD}\n  top_k: ${K}\n  min_labelled: 100\n  min_frauds: 5\n`,
    );
    const { monitor } = await h.monitor({
      MODEL_REGISTRY_DIR: registry,
      MONITOR_CHECKS: 'performance',
      MONITOR_LABEL_LAG: '4d',
      MONITOR_PERFORMANCE_WINDOW: '8d',
      MONITOR_THRESHOLDS_FILE: thresholds,
    });
    await monitor.runWindow(AS_OF);
    const result = await h.clickhouse.query({
      query: `SELECT variant, metric, value, n, toUInt64(window_start) * 1000 AS from FROM monitor_metrics FINAL WHERE kind = 'PERFORMANCE' ORDER BY variant, metric`,
      format: 'JSONEachRow',
    });
    const written = await result.json<{ variant: string; metric: string; value: number; n: string; from: string }>();
    const counts = await store.performanceCounts(h.clickhouse, CHAMPION, FROM, TO, AS_OF, THRESHOLD, K);
    const pairs = await store.labelledScores(h.clickhouse, CHAMPION, FROM, TO, AS_OF);
    for (const variant of ['control', 'treatment']) {
      const c = counts.get(variant);
      const got = pairs.get(variant) ?? { scores: [], labels: [] };
      const figure = (metric: string) => written.find((w) => w.variant === variant && w.metric === metric);
      expect(figure('roc_auc')?.value).toBeCloseTo(rocAuc(got.scores, got.labels), 12);
      expect(figure('average_precision')?.value).toBeCloseTo(averagePrecision(got.scores, got.labels), 12);
      expect(figure('precision')?.value).toBeCloseTo((c?.tp ?? 0) / ((c?.tp ?? 0) + (c?.fp ?? 0)), 12);
      expect(figure('recall')?.value).toBeCloseTo((c?.tp ?? 0) / ((c?.tp ?? 0) + (c?.fn ?? 0)), 12);
      expect(figure(`card_precision_at_${K}`)?.value).toBeCloseTo(c?.cardPrecision ?? Number.NaN, 12);
      expect(Number(figure('roc_auc')?.n)).toBe(c?.labelled);
      expect(Number(figure('roc_auc')?.from)).toBe(FROM);
    }
  });
});
