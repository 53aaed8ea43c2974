import { describe, expect, it } from 'vitest';
import { LatencyWindow } from './latency-window.js';
import { createLiveSampler, type SamplerSources } from './sampler.js';

function fakeSources() {
  let tx = 1_000;
  let dec = 500;
  let consumed = 0;
  let answered = 0;
  let deadLetterReads = 0;
  const windows = new Map([['features', new LatencyWindow(60_000)]]);
  const sources: SamplerSources = {
    readKafka: async () => ({
      totals: { transactions: tx, decisions: dec },
      lag: [{ group: 'sink', topic: 'decisions', partition: 0, committed: 490, end: dec, lag: dec - 490 }],
      errors: [],
    }),
    readServices: async () => [
      {
        name: 'features',
        url: 'http://x',
        status: 'ready',
        failing: [],
        counters: {
          consumed: { transactions: consumed, labels: 0 },
          deadLettered: { transactions: 2 },
          requests: null,
        },
        error: null,
      },
      { name: 'scorer', url: 'http://y', status: 'unreachable', failing: [], counters: null, error: 'ECONNREFUSED' },
      {
        name: 'api',
        url: 'http://z',
        status: 'ready',
        failing: [],
        // nine in ten answered by the pipeline within 20 ms, one in ten by the fallback at the 100 ms deadline
        counters: {
          consumed: {} as Record<string, number>,
          deadLettered: {} as Record<string, number>,
          requests: {
            bySource: { pipeline: answered * 0.9, rules_only_fallback: answered * 0.1 },
            buckets: [
              { le: 20, count: answered * 0.9 },
              { le: 100, count: answered },
              { le: Number.POSITIVE_INFINITY, count: answered },
            ],
          },
        },
        error: null,
      },
    ],
    readDeadLetters: async () => {
      deadLetterReads += 1;
      if (deadLetterReads > 1) throw new Error('connect ECONNREFUSED');
      return [{ service: 'features', errorType: 'MalformedMessageError', count: 2, example: 'x' }];
    },
    latency: { windows, error: () => null },
  };
  return {
    sources,
    windows,
    advance(seconds: number) {
      tx += 100 * seconds;
      dec += 90 * seconds;
      consumed += 100 * seconds;
      answered += 50 * seconds;
    },
  };
}

describe('the live sampler', () => {
  it('turns topic ends into rates, keeps lag, health, counters and latency', async () => {
    let t = 10_000;
    const fake = fakeSources();
    fake.windows.get('features')?.record(12, 9_500);
    const sampler = createLiveSampler({
      sources: fake.sources,
      hops: [
        { name: 'features', topic: 'transactions.enriched' },
        { name: 'decision', topic: 'decisions' },
      ],
      topics: { transactions: 'transactions', decisions: 'decisions' },
      windowMs: 60_000,
      intervalMs: 1_000,
      deadLetterEvery: 2,
      now: () => t,
    });
    const seen: number[] = [];
    sampler.subscribe((s) => seen.push(s.at));
    const first = await sampler.sample();
    expect(first.throughput.eventsIn).toBeNull();
    expect(first.deadLetters.rows).toHaveLength(1);
    t += 2_000;
    fake.advance(2);
    const second = await sampler.sample();
    expect(second.throughput.eventsIn).toBe(100);
    expect(second.throughput.decisionsOut).toBe(90);
    expect(second.throughput.series).toEqual([{ at: 12_000, eventsIn: 100, decisionsOut: 90 }]);
    expect(second.lag.total).toBe(190);
    expect(second.services[0]).toMatchObject({
      name: 'features',
      status: 'ready',
      consumedPerSecond: 100,
      deadLettered: 2,
    });
    expect(second.services[1]).toMatchObject({ status: 'unreachable', consumedPerSecond: null, error: 'ECONNREFUSED' });
    expect(first.services[2]?.requests).toBeNull();
    expect(second.services[0]?.requests).toBeNull();
    const api = second.services[2]?.requests;
    expect(api).toMatchObject({ perSecond: 50, bySource: { pipeline: 45, rules_only_fallback: 5 }, spanMs: 2_000 });
    expect(api?.p50Ms).toBeCloseTo(20 * (0.5 / 0.9));
    expect(api?.p99Ms).toBeCloseTo(20 + 80 * ((0.99 - 0.9) / 0.1));
    expect(second.latency.hops[0]).toMatchObject({ hop: 'features', count: 1 });
    expect(second.latency.hops[1]).toMatchObject({ hop: 'decision', count: 0, p50: null });
    // dead letters kept between reads
    expect(second.deadLetters.rows).toHaveLength(1);
    t += 1_000;
    const third = await sampler.sample();
    expect(third.deadLetters).toEqual({ rows: [], error: 'ClickHouse: connect ECONNREFUSED' });
    expect(seen).toEqual([10_000, 12_000, 13_000]);
    expect(sampler.latest()).toBe(third);
  });

  it('reports a source that does not answer in time, and does not ask it again meanwhile', async () => {
    const fake = fakeSources();
    let kafkaReads = 0;
    fake.sources.readKafka = () => {
      kafkaReads += 1;
      return new Promise(() => undefined);
    };
    fake.sources.readDeadLetters = () => new Promise(() => undefined);
    const sampler = createLiveSampler({
      sources: fake.sources,
      hops: [],
      topics: { transactions: 'transactions', decisions: 'decisions' },
      windowMs: 60_000,
      intervalMs: 1_000,
      deadLetterEvery: 1,
      sourceTimeoutMs: 50,
    });
    const first = await sampler.sample();
    expect(first.kafkaErrors).toEqual(['Kafka did not answer within 0.05 s']);
    expect(first.deadLetters.error).toBe('ClickHouse: the dead_letters query did not answer within 0.05 s');
    expect(first.services).toHaveLength(3);
    await sampler.sample();
    expect(kafkaReads).toBe(1);
  });

  it('reports Kafka being unreadable instead of failing', async () => {
    const fake = fakeSources();
    fake.sources.readKafka = async () => {
      throw new Error('broker down');
    };
    const sampler = createLiveSampler({
      sources: fake.sources,
      hops: [],
      topics: { transactions: 'transactions', decisions: 'decisions' },
      windowMs: 60_000,
      intervalMs: 1_000,
    });
    const s = await sampler.sample();
    expect(s.kafkaErrors).toEqual(['broker down']);
    expect(s.throughput.eventsIn).toBeNull();
  });
});
