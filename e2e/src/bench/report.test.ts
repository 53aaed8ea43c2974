import { describe, expect, it } from 'vitest';
import { type BenchResult, headline, renderReport } from './report.js';
import type { StepResult } from './run-step.js';

function step(rate: number, p99: number, sustained: boolean): StepResult {
  return {
    rate,
    judgement: {
      sustained,
      publishedRate: rate,
      deliveredRate: sustained ? rate : rate * 0.8,
      backlogSlope: sustained ? 0 : rate * 0.2,
      finalBacklog: 0,
      reason: sustained ? null : `backlog grew ${rate * 0.2}/s`,
    },
    latencyMs: { count: 100, p50: p99 / 2, p95: p99 * 0.9, p99, max: p99 * 2, mean: p99 / 2 },
    hops: { enriched: { count: 100, p50: 2, p95: 3, p99: 4, max: 5, mean: 2 } },
    deadLetters: 0,
    drainSeconds: sustained ? 0.2 : null,
    usage: [
      { name: 'features', cpuPercent: 85.4, cpuWaitPercent: rate / 25, rssMb: 180.2 },
      { name: 'scorer', cpuPercent: 10, cpuWaitPercent: 12.4, rssMb: 100 },
      { name: 'relay1', cpuPercent: 3, cpuWaitPercent: null, rssMb: 90 },
      { name: 'relay2', cpuPercent: 6, cpuWaitPercent: null, rssMb: 90 },
      { name: 'kafka', cpuPercent: 20, cpuWaitPercent: null, rssMb: 500 },
    ],
    kafkaRequests: { features: { Fetch: rate / 10, Produce: rate / 10 }, scorer: { Fetch: rate / 20 } },
    labelGate: {
      roundsPerS: rate / 50,
      meanWaitMs: 1.25,
      progressReadsPerS: rate / 100,
      offsetsLookupsPerS: rate / 100,
    },
    eventLoops: { features: { busy: rate / 2_000, gc: 0.031 }, scorer: { busy: 0.2, gc: 0 } },
    rulesOnlyShare: rate / 10_000,
  };
}

const result: BenchResult = {
  date: '2026-11-23',
  machine: { cpus: 2, model: 'EPYC', memoryGb: 7.8, loadBefore: [0.1, 0.2, 0.3], node: 'v20.19.0' },
  stepSeconds: 30,
  settleSeconds: 5,
  pipelines: [
    {
      kind: 'fraud',
      steps: [step(500, 12, true), step(1000, 25, true), step(2000, 900, false)],
      searched: [step(1414, 40, true)],
      maxSustained: 1414,
      firstFailed: 2000,
    },
    { kind: 'identity', steps: [step(1000, 5, true)], searched: [], maxSustained: 20_000, firstFailed: 40_000 },
  ],
};

describe('benchmark report', () => {
  it('headline figures come from the steps and the searches', () => {
    const h = headline(result);
    expect(h.services_cpu_us_per_event).toBeCloseTo(954, 6);
    expect({ ...h, services_cpu_us_per_event: 954 }).toEqual({
      bench: 'e2e',
      quick: false,
      tracing: false,
      p99_ms_at_1000: 25,
      p50_ms_at_1000: 12.5,
      hops_p99_ms_at_1000: { enriched: 4, scores: null, decisions: null },
      // At 1,000 events/s, 1 % of a core is 10 µs per event; relays are averaged per hop present.
      relay_cpu_us_per_msg: 45,
      services_cpu_us_per_event: 954,
      kafka_cpu_us_per_event: 200,
      kafka_requests_per_event: 0.25,
      label_wait_ms_at_1000: 1.25,
      rules_only_share_at_1000: 0.1,
      max_sustained_eps: 1414,
      identity_max_eps: 20_000,
      pipeline_to_identity: 1414 / 20_000,
      recsys_p99_ms_at_1000: null,
      recsys_p99_ms_at_100: null,
      recsys_p50_ms_at_1000: null,
      recsys_delivered_rps_at_1000: null,
      recsys_rules_only_share_at_1000: null,
      recsys_max_sustained_rps: null,
    });
  });

  it('renders each step and says which goals were missed', () => {
    const md = renderReport(result, 'bench-2026-11-23.png');
    expect(md).toContain(
      '| 1,000 | 1,000 | 1,000 | 12.5 | 22.5 | 25.0 | 50.0 | yes | 0.2 s | features 85%/180M/854µs,',
    );
    expect(md).toContain('no: backlog grew 400/s | no |');
    expect(md).toContain('| p99 ≤ 50 ms at 1,000 events/s | 25.0 ms | met |');
    expect(md).toContain('| sustained ≥ 5,000 events/s | 1,414 | **missed** |');
    expect(md).toContain('| four services ≤ 400 µs CPU per event at 1,000/s | 954 µs | **missed** |');
    expect(md).toContain('| pipeline ≥ 50 % of identity | 7 % | **missed** |');
    expect(md).toContain('| 1,000 | 2.0 / 4.0 | - | - | 10.0 % |');
    expect(md).toContain('| 1,000 | features 200/s (Fetch 100, Produce 100), scorer 50/s (Fetch 50) |');
    expect(md).toContain('| 1,000 | 20 | 1.25 | 10 | 10 |');
    expect(md).toContain('| 1,000 | features 50 % (3 %), scorer 20 % (0 %) |');
    expect(md).toContain('| 1,000 | features 40 %, scorer 12 % |');
    expect(md).toContain('![latency against rate](bench-2026-11-23.png)');
  });
});

describe('benchmark report with recommendations', () => {
  const withRecsys: BenchResult = {
    ...result,
    pipelines: [
      ...result.pipelines,
      {
        kind: 'recsys',
        steps: [step(100, 60, true), step(1000, 180, false)],
        searched: [],
        maxSustained: 100,
        firstFailed: 1000,
      },
    ],
  };

  it('adds the recommendation figures beside the fraud ones, which stay as they were', () => {
    const h = headline(withRecsys);
    const fraudOnly = headline(result);
    expect(h).toEqual({
      ...fraudOnly,
      recsys_p99_ms_at_1000: 180,
      recsys_p50_ms_at_1000: 90,
      recsys_delivered_rps_at_1000: 800,
      recsys_rules_only_share_at_1000: 0.1,
      recsys_max_sustained_rps: 100,
      recsys_p99_ms_at_100: 60,
    });
  });

  it('renders the recommendations pipeline in requests/s with its own goal', () => {
    const md = renderReport(withRecsys, null);
    expect(md).toContain('## Recommendations pipeline (features → scorer → decision');
    expect(md).toContain(
      '| rate/s | enriched requests (features) | scores (scorer) | recommendations (decision) | on rules alone |',
    );
    expect(md).toContain('Highest sustained rate: **100 requests/s** (not sustained at 1,000).');
    expect(md).toContain(
      '| recommendations: p99 request → ranked list < 100 ms at 1,000 requests/s | 180.0 ms | **missed** |',
    );
    expect(renderReport(result, null)).not.toContain('recommendations');
  });
});
