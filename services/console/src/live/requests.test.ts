import { describe, expect, it } from 'vitest';
import { parsePrometheus } from './prometheus.js';
import { quantileOf, requestCounters, requestFigures } from './requests.js';

const page = (pipeline: number, fallback: number, buckets: [string, number][]) =>
  parsePrometheus(
    [
      `api_requests_total{status="200",source="pipeline",otel_scope_name="api"} ${pipeline}`,
      `api_requests_total{status="200",source="rules_only_fallback",otel_scope_name="api"} ${fallback}`,
      ...buckets.map(([le, n]) => `api_latency_bucket{status="200",le="${le}"} ${n}`),
      'api_latency_count 0',
    ].join('\n'),
  );

describe('the decision API’s request figures', () => {
  it('reads requests by source and the latency buckets, and nothing from a service that serves none', () => {
    const c = requestCounters(
      page(10, 2, [
        ['5', 3],
        ['+Inf', 12],
        ['10', 9],
      ]),
    );
    expect(c?.bySource).toEqual({ pipeline: 10, rules_only_fallback: 2 });
    expect(c?.buckets).toEqual([
      { le: 5, count: 3 },
      { le: 10, count: 9 },
      { le: Number.POSITIVE_INFINITY, count: 12 },
    ]);
    expect(requestCounters(parsePrometheus('pipeline_messages_consumed_total{topic="t"} 5'))).toBeNull();
  });

  it('interpolates a quantile within its bucket, over what the histogram gained', () => {
    const from = [
      { le: 10, count: 0 },
      { le: 20, count: 0 },
      { le: Number.POSITIVE_INFINITY, count: 0 },
    ];
    const to = [
      { le: 10, count: 50 },
      { le: 20, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(quantileOf(from, to, 0.5)).toBe(10);
    expect(quantileOf(from, to, 0.75)).toBe(15);
    expect(quantileOf(from, to, 0.99)).toBeCloseTo(19.8);
    expect(quantileOf(to, to, 0.5)).toBeNull();
    // beyond the last finite bound: its lower bound
    expect(
      quantileOf(
        from,
        [
          { le: 10, count: 0 },
          { le: Number.POSITIVE_INFINITY, count: 4 },
        ],
        0.5,
      ),
    ).toBe(10);
  });

  it('gives per-second rates by source between readings, and nothing across a restart', () => {
    const a = {
      at: 0,
      counters: requestCounters(
        page(10, 0, [
          ['50', 10],
          ['+Inf', 10],
        ]),
      ) as NonNullable<ReturnType<typeof requestCounters>>,
    };
    const b = {
      at: 2_000,
      counters: requestCounters(
        page(30, 4, [
          ['50', 30],
          ['+Inf', 34],
        ]),
      ) as NonNullable<ReturnType<typeof requestCounters>>,
    };
    const f = requestFigures(a, b);
    expect(f).toMatchObject({ perSecond: 12, bySource: { pipeline: 10, rules_only_fallback: 2 }, spanMs: 2_000 });
    expect(f?.p99Ms).toBe(50);
    expect(requestFigures(b, a)).toBeNull();
  });
});
