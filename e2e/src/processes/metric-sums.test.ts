import { describe, expect, it } from 'vitest';
import { sumSeries } from './metric-sums.js';

describe('sumSeries', () => {
  it('sums each named series over its label sets and ignores the rest', () => {
    const page = [
      '# HELP features_label_wait Time a batch waited',
      'features_label_wait_count{otel_scope_name="a"} 3',
      'features_label_wait_count{otel_scope_name="b"} 4',
      'features_label_wait_sum{otel_scope_name="a"} 12.5',
      'features_label_wait_bucket{le="5"} 99',
      'features_label_progress_reads_total 7',
      'features_label_wait_count_other 1000',
    ].join('\n');
    expect(
      sumSeries(page, [
        'features_label_wait_count',
        'features_label_wait_sum',
        'features_label_progress_reads_total',
        'absent',
      ]),
    ).toEqual({
      features_label_wait_count: 7,
      features_label_wait_sum: 12.5,
      features_label_progress_reads_total: 7,
      absent: 0,
    });
  });

  it('sums only the label sets a selector names', () => {
    const page = [
      'decision_decisions_total{path="RULES_ONLY",action="APPROVE"} 5',
      'decision_decisions_total{action="REVIEW",path="RULES_ONLY"} 2',
      'decision_decisions_total{path="MODEL_AND_RULES",action="APPROVE"} 40',
      'decision_decisions_total{xpath="RULES_ONLY",path="MODEL_AND_RULES"} 1000',
    ].join('\n');
    expect(sumSeries(page, ['decision_decisions_total{path="RULES_ONLY"}', 'decision_decisions_total'])).toEqual({
      'decision_decisions_total{path="RULES_ONLY"}': 7,
      decision_decisions_total: 1047,
    });
  });
});
