import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from './options.js';

describe('parseBenchOptions', () => {
  it('defaults to the rates the benchmark reports', () => {
    expect(parseBenchOptions([])).toMatchObject({
      rates: [500, 1000, 2000, 5000, 10000],
      stepMs: 30_000,
      settleMs: 5_000,
      search: true,
      identity: true,
      recsys: true,
      recsysRates: [100, 1000],
    });
    expect(parseBenchOptions(['--quick'])).toMatchObject({ recsys: true, recsysRates: [100, 1000] });
  });

  it('sorts and deduplicates rates, and reads the switches', () => {
    expect(
      parseBenchOptions(['--rates', '2000,500,500', '--step', '10s', '--settle', '2s', '--no-search', '--no-identity']),
    ).toMatchObject({ rates: [500, 2000], stepMs: 10_000, settleMs: 2_000, search: false, identity: false });
  });

  it('reads the recommendation rates and switch', () => {
    expect(parseBenchOptions(['--recsys-rates', '1000,200,200'])).toMatchObject({ recsysRates: [200, 1000] });
    expect(parseBenchOptions(['--no-recsys'])).toMatchObject({ recsys: false });
  });

  it('names the bad flag', () => {
    expect(() => parseBenchOptions(['--recsys-rates', 'many'])).toThrow(/--recsys-rates .*"many"/);
    expect(() => parseBenchOptions(['--rates', '500,fast'])).toThrow(/--rates .*"500,fast"/);
    expect(() => parseBenchOptions(['--step', '1s'])).toThrow(/--step/);
    expect(() => parseBenchOptions(['--step', '10s', '--settle', '6s'])).toThrow(/--settle/);
    expect(() => parseBenchOptions(['--bogus'])).toThrow(/bogus/);
  });
});
