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
});
