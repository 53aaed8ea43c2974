import { fraudFeatureSet } from '@pipeline/feature-sets';
import { describe, expect, it } from 'vitest';
import { buildAlert } from '../episodes.js';
import type { Figure } from '../figures.js';
import { reason, verdict } from '../figures.js';
import { parseThresholds } from '../thresholds.js';
import { buildProfile, driftFigures } from './drift.js';
import { mixFigures } from './mix.js';
import { performanceFigures } from './performance.js';
import { deadLetterFigures, featureQualityFigures, volumeFigure } from './quality.js';

const features = fraudFeatureSet.names;
const t = parseThresholds({ drift: { min_samples: 100 }, quality: { min_samples: 100 } }, features);

/** Deterministic pseudo-random numbers in [0, 1). */
function uniform(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  });
}

describe('drift', () => {
  const reference = buildProfile(
    'event_amount',
    uniform(5000, 1).map((u) => 1000 + 9000 * u),
  );

  it('judges a same-distribution sample stable, even with many rows', () => {
    const same = uniform(20_000, 2).map((u) => 1000 + 9000 * u);
    const figures = driftFigures(reference, same, t);
    expect(figures.map((f) => f.metric)).toEqual(['psi', 'ks']);
    expect(figures[0]?.value).toBeLessThan(0.01);
    expect(figures[1]?.value).toBeLessThan(0.03);
    expect(verdict(figures)).toBe(false);
  });

  it('flags tripled amounts by effect size', () => {
    const tripled = uniform(500, 3).map((u) => 3 * (1000 + 9000 * u));
    const figures = driftFigures(reference, tripled, t);
    expect(figures.every((f) => f.breached)).toBe(true);
  });

  it('does not judge below the minimum sample size, however large the shift', () => {
    const few = uniform(50, 4).map((u) => 100_000 * u);
    expect(verdict(driftFigures(reference, few, t))).toBeUndefined();
  });

  it('judges KS on the defined values only: a mostly-NaN feature has a small sample', () => {
    const sparse = buildProfile(
      'x',
      uniform(5000, 10).map((u) => (u < 0.05 ? u : Number.NaN)),
    );
    const few = driftFigures(sparse, [...Array(990).fill(Number.NaN), ...uniform(10, 11)], t);
    expect(few[1]).toMatchObject({ metric: 'ks', n: 10, judged: false });
    expect(few[0]).toMatchObject({ metric: 'psi', n: 1000, judged: true });
  });

  it('computes exempt features but never judges them', () => {
    const calendar = buildProfile(
      'event_is_weekend',
      uniform(5000, 9).map((u) => (u < 2 / 7 ? 1 : 0)),
    );
    const weekend = driftFigures(
      calendar,
      Array(1000).fill(1),
      parseThresholds({ drift: { min_samples: 100 } }, features),
    );
    expect(weekend[0]?.value).toBeGreaterThan(1);
    expect(verdict(weekend)).toBeUndefined();
  });

  it('per-feature limits override the defaults', () => {
    const strict = parseThresholds(
      { drift: { min_samples: 100, features: { event_amount: { psi: 0, ks: 0 } } } },
      features,
    );
    expect(
      verdict(
        driftFigures(
          reference,
          uniform(500, 5).map((u) => 1000 + 9000 * u),
          strict,
        ),
      ),
    ).toBe(true);
  });
});

describe('quality', () => {
  const reference = buildProfile('x', [...uniform(900, 6), ...Array(100).fill(Number.NaN)]);

  it('flags more NaN than the reference had, and values outside its range', () => {
    const current = [...uniform(700, 6), ...Array(300).fill(Number.NaN)]; // values the reference holds
    const [nulls, range] = featureQualityFigures(reference, current, t);
    expect(nulls).toMatchObject({ metric: 'null_share', value: 0.3, breached: true });
    expect(nulls?.threshold).toBeCloseTo(0.2, 12);
    expect(range).toMatchObject({ metric: 'out_of_range_share', value: 0, breached: false });
    const shifted = featureQualityFigures(
      reference,
      uniform(1000, 8).map((u) => u + 0.5),
      t,
    );
    expect(shifted[1]?.breached).toBe(true);
  });

  it('judges volume against the usual for the same hours, both ways', () => {
    expect(volumeFigure(1000, [1000, 1100, 900], t)).toMatchObject({ value: 1, breached: false });
    expect(volumeFigure(300, [1000, 1000], t)).toMatchObject({ breached: true, threshold: 0.5 });
    expect(volumeFigure(2500, [1000, 1000], t)).toMatchObject({ breached: true, threshold: 2 });
    expect(volumeFigure(10, [50, 50], t).judged).toBe(false);
  });
});

describe('performance', () => {
  const counts = { labelled: 1000, frauds: 30, tp: 20, fp: 10, fn: 10, cardPrecision: 0.2 };
  const scores = Array.from({ length: 1000 }, (_, i) => i / 1000);

  it('judges ROC AUC and AP against their minimums once enough labels and frauds are in', () => {
    const good = performanceFigures(
      scores,
      scores.map((s) => (s > 0.97 ? 1 : 0)),
      counts,
      t,
    );
    expect(good.find((f) => f.metric === 'roc_auc')?.value).toBe(1);
    expect(verdict(good)).toBe(false);
    const random = performanceFigures(
      scores,
      scores.map((_, i) => (i % 33 === 0 ? 1 : 0)),
      counts,
      t,
    );
    expect(random.find((f) => f.metric === 'roc_auc')?.breached).toBe(true);
    expect(good.find((f) => f.metric === 'precision')?.value).toBeCloseTo(2 / 3, 12);
    expect(good.find((f) => f.metric === 'recall')?.value).toBeCloseTo(2 / 3, 12);
    expect(good.find((f) => f.metric === 'card_precision_at_100')?.value).toBe(0.2);
  });

  it('does not judge before enough frauds are labelled', () => {
    const few = performanceFigures(
      scores,
      scores.map(() => 0),
      { ...counts, frauds: 3 },
      t,
    );
    expect(verdict(few)).toBeUndefined();
  });
});

describe('decision mix', () => {
  it('judges the PSI of the action shares against the usual', () => {
    const usual = { APPROVE: 9000, REVIEW: 700, DECLINE: 300 };
    const same = mixFigures({ APPROVE: 900, REVIEW: 70, DECLINE: 30 }, usual, t);
    expect(verdict(same)).toBe(false);
    expect(same.find((f) => f.subject === 'DECLINE')?.value).toBeCloseTo(0.03, 12);
    const declines = mixFigures({ APPROVE: 700, REVIEW: 100, DECLINE: 200 }, usual, t);
    expect(verdict(declines)).toBe(true);
  });
});

describe('dead-letter share', () => {
  const counts = [
    { service: 'features', error_type: 'MalformedMessageError', n: 30 },
    { service: 'scorer', error_type: 'ValidationError', n: 10 },
  ];

  it('is dead letters over transactions plus dead letters, with every cause charted and the top one named', () => {
    const [total, ...causes] = deadLetterFigures(counts, 960, t);
    expect(total).toMatchObject({ subject: '', metric: 'dead_letter_share', value: 0.04, n: 1000, threshold: 0.01 });
    expect(total?.breached).toBe(true);
    expect(causes.map((c) => [c.subject, c.value, c.judged])).toEqual([
      ['features/MalformedMessageError', 0.03, false],
      ['scorer/ValidationError', 0.01, false],
    ]);
    expect(reason(total as Figure)).toBe(
      'dead_letter_share 0.04 >= 0.01 (n=1000); top cause features/MalformedMessageError: 30 of 40 dead letters',
    );
  });

  it('puts every cause into the alert evidence', () => {
    const figures = deadLetterFigures(counts, 960, t);
    const state = {
      kind: 'QUALITY' as const,
      model_name: '',
      model_version: '',
      variant: '',
      state: 'OPEN' as const,
      episode_id: 'e',
      opened_at: 0,
      clean_runs: 0,
      last_window_end: 0,
    };
    const window = { start: 0, end: 1, referenceStart: null, referenceEnd: null };
    const alert = buildAlert(state, 'OPEN', figures, window, 3, 0);
    expect(alert.reasons).toHaveLength(1);
    expect(alert.evidence.map((e) => e.subject)).toEqual([
      '',
      'features/MalformedMessageError',
      'scorer/ValidationError',
    ]);
  });

  it('is within the threshold below it, and not judged under the minimum sample or with no events', () => {
    expect(verdict(deadLetterFigures([{ service: 's', error_type: 'E', n: 5 }], 995, t))).toBe(false);
    expect(verdict(deadLetterFigures([{ service: 's', error_type: 'E', n: 50 }], 40, t))).toBeUndefined();
    const [empty] = deadLetterFigures([], 0, t);
    expect(empty?.value).toBeNaN();
    expect(empty?.judged).toBe(false);
  });
});
